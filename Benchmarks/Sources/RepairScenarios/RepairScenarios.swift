// The two repairs the issue times against RocketMQ, on scratch stores made from the generated
// one (its files are never changed):
//
// - rebuild: the commitlog and checkpoint only, as after `rm -rf consumequeue index`, which is
//   what RocketMQ 4.9.8 took 3.2–4.3 s to load and re-dispatch. Each pass rebuilds both
//   directories; the next pass starts again without them.
// - recover: the whole store with the last record's body damaged and an `abort` file, as after
//   a kill: `recover --apply` checks every record's CRC, cuts the log after the last valid one,
//   cuts the queue unit and index entries that point past it and removes `abort` (RocketMQ's
//   abnormal recovery with CRC: 4.4–8.0 s). Each pass is undone from its journal afterwards.
//   A second form has `index/` lost as well: recover then rebuilds the whole index.
//
// Commitlog files are hard links, but the one recover cuts is a copy of its data.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import RocketMQFormat
import RocketMQStore
import RocketMQTools
import StoreGenerator

public struct RepairScenario {
    public let root: String
    let salvage: String
    let prepare: (String, String) throws -> Void
    let work: (String, String) throws -> Int
    let reset: (String, String) throws -> Void

    /// Prepares the store for a pass (untimed).
    public func prepareForPass() throws { try prepare(root, salvage) }
    /// The repair; returns the records it kept.
    public func run() throws -> Int { try work(root, salvage) }
    /// Puts the store back after a pass (untimed).
    public func finishPass() throws { try reset(root, salvage) }
}

public enum RepairScenarios {
    /// `rmqstore rebuild --apply` on the log alone.
    public static func rebuild(from summary: StoreGenerator.Summary) throws -> RepairScenario {
        let root = summary.root + "-rebuild"
        try removeTree(root)
        try makeDirectory(root + "/commitlog")
        for file in try StoreLayout.discover(summary.root).commitLogFiles {
            guard link(file.path, root + "/commitlog/" + file.name) == 0 else { throw ScenarioError("cannot link \(file.path)") }
        }
        try copy(summary.root + "/checkpoint", to: root + "/checkpoint")
        return RepairScenario(
            root: root, salvage: root + "-salvage",
            prepare: { root, salvage in
                try removeTree(root + "/consumequeue")
                try removeTree(root + "/index")
                try removeTree(salvage)
            },
            work: { root, salvage in
                let result = try StoreRebuilder(layout: try StoreLayout.discover(root)).apply(salvageDirectory: salvage)
                return result.plan.records
            },
            reset: { _, _ in })
    }

    /// `rmqstore recover --apply` after a kill that tore the last record; `indexLost`: and with
    /// `index/` gone, so that recover rebuilds the whole index from the log.
    public static func recover(from summary: StoreGenerator.Summary, indexLost: Bool = false) throws -> RepairScenario {
        let root = summary.root + (indexLost ? "-recover-noindex" : "-recover")
        try removeTree(root)
        let source = try StoreLayout.discover(summary.root)
        let files = source.commitLogFiles
        guard let last = files.last(where: { $0.fromOffset < summary.dataBytes }) else { throw ScenarioError("no data") }
        try makeDirectory(root + "/commitlog")
        for file in files where file.name != last.name {
            guard link(file.path, root + "/commitlog/" + file.name) == 0 else { throw ScenarioError("cannot link \(file.path)") }
        }
        // The file recover cuts: its data copied, at full (sparse) size.
        try DurableFile.copySparse(last.path, to: root + "/commitlog/" + last.name, sync: false)
        for directory in indexLost ? ["consumequeue"] : ["consumequeue", "index"] {
            try run("/bin/cp", ["-r", "--sparse=always", summary.root + "/" + directory, root + "/" + directory])
        }
        try copy(summary.root + "/checkpoint", to: root + "/checkpoint")
        // The last record's body: a byte changed, so its CRC fails.
        var lastRecord = 0
        try MappedRegion(path: root + "/commitlog/" + last.name).withBytes { bytes in
            var position = 0
            while let record = RecordDecoder.message(in: bytes, at: position, options: .dispatch), record.check.success {
                lastRecord = position
                position += Int(record.totalSize)
            }
        }
        let fd = open(root + "/commitlog/" + last.name, O_RDWR)
        guard fd >= 0 else { throw ScenarioError("cannot open \(last.name)") }
        var byte: UInt8 = 0x5A
        guard pwrite(fd, &byte, 1, off_t(lastRecord + 400)) == 1 else { throw ScenarioError("cannot damage the last record") }
        fsync(fd)
        close(fd)
        return RepairScenario(
            root: root, salvage: root + "-salvage",
            prepare: { root, salvage in
                try removeTree(salvage)
                if indexLost { try removeTree(root + "/index") }
                let abort = open(root + "/abort", O_WRONLY | O_CREAT, 0o644)
                guard abort >= 0 else { throw ScenarioError("cannot create abort") }
                close(abort)
            },
            work: { root, salvage in
                let result = try StoreRecoverer(layout: try StoreLayout.discover(root)).apply(salvageDirectory: salvage)
                guard result.journal != nil else { throw ScenarioError("recover found nothing to do") }
                return result.plan.records
            },
            reset: { root, salvage in
                _ = try JournalUndo.undo(journalAt: salvage + "/journal.json")
            })
    }

    static func removeTree(_ path: String) throws {
        if FileSystem.exists(path) { try JournalUndo.removeTree(path) }
    }

    static func makeDirectory(_ path: String) throws { try DurableFile.makeDirectories(path) }

    static func copy(_ source: String, to destination: String) throws {
        try DurableFile.copyFile(source, to: destination)
    }

    static func run(_ tool: String, _ arguments: [String]) throws {
        var pid = pid_t()
        let argv = ([tool] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        guard posix_spawn(&pid, tool, nil, nil, argv, environ) == 0 else { throw ScenarioError("cannot run \(tool)") }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        guard status == 0 else { throw ScenarioError("\(tool) \(arguments) failed") }
    }
}

struct ScenarioError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
