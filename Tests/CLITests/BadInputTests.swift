// The bad input catalogue (issue 7): every way a path can fail to be a usable store, run through
// `dump`, `stat` and `verify`. Each gets one clear `rmqstore: …` line on stderr naming the path
// and the documented exit status (64 not a store, 74 I/O), or, for a store with a damaged file,
// a normal run where verify reports the file. Never a signal, never a hang.

import Foundation
import RocketMQFormat
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

private let commands: [[String]] = [["dump"], ["stat"], ["verify"]]
private let dumpVariants: [[String]] = [
    ["dump"], ["dump", "--format", "json"], ["dump", "--what", "consumequeue"], ["dump", "--what", "index"],
    ["dump", "--what", "checkpoint"], ["dump", "--what", "config"], ["stat"],
]

/// A scratch directory holding `store` (a copy of a small fixture) and room for odd paths.
private struct Scratch {
    let root: String
    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("rmqstore-bad-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }
    func copy(_ scenario: String = "rocketmq-4.9.8/sync_flush", as name: String = "store") throws -> String {
        let path = root + "/" + name
        try FileManager.default.copyItem(atPath: Fixtures.store(scenario), toPath: path)
        return path
    }
    func remove() {
        // Undo permission changes first so the tree can be deleted.
        if let items = FileManager.default.enumerator(atPath: root) {
            for case let item as String in items { chmod(root + "/" + item, 0o755) }
        }
        try? FileManager.default.removeItem(atPath: root)
    }
}

/// A fatal input: every command fails the same way, with one line naming `naming`.
private func expectRefused(_ path: String, status: Int32, naming: String, mentioning: String? = nil,
                           sourceLocation: SourceLocation = #_sourceLocation) throws {
    for command in commands {
        let run = try BoundedCLI.run(command + [path])
        #expect(!run.timedOut, "\(command): hung", sourceLocation: sourceLocation)
        expectCleanError(run.result, status: status, naming: naming, sourceLocation: sourceLocation)
        #expect(run.result.stdout.isEmpty, "\(command): stdout \(run.result.stdout)", sourceLocation: sourceLocation)
        if let mentioning {
            #expect(run.result.stderr.contains(mentioning), "\(command): \(run.result.stderr)", sourceLocation: sourceLocation)
        }
    }
}

/// A store with one damaged file: the listing commands finish (0, or 65 for a file they cannot
/// decode) with clean stderr; verify finishes with findings that name the file.
private func expectDamageReported(_ store: String, file: String, verifyStatus: Set<Int32> = [1, 65],
                                  sourceLocation: SourceLocation = #_sourceLocation) throws {
    for command in dumpVariants {
        let run = try BoundedCLI.run(command + [store])
        #expect(!run.timedOut && !run.result.signaled, "\(command): hung or crashed", sourceLocation: sourceLocation)
        #expect([0, 65].contains(run.result.status), "\(command): status \(run.result.status): \(run.result.stderr)",
                sourceLocation: sourceLocation)
        expectNoBacktrace(run.result, sourceLocation: sourceLocation)
        #expect(run.result.stderrLines.allSatisfy { $0.hasPrefix("rmqstore: ") }, "\(command): \(run.result.stderr)",
                sourceLocation: sourceLocation)
        if run.result.status == 65 {
            #expect(run.result.stderrLines.count == 1 && run.result.stderr.contains(file),
                    "\(command): \(run.result.stderr)", sourceLocation: sourceLocation)
        }
    }
    let verify = try BoundedCLI.run(["verify", store])
    #expect(!verify.timedOut && !verify.result.signaled, "verify hung or crashed", sourceLocation: sourceLocation)
    expectNoBacktrace(verify.result, sourceLocation: sourceLocation)
    #expect(verifyStatus.contains(verify.result.status), "verify status \(verify.result.status)", sourceLocation: sourceLocation)
    #expect(verify.result.stdoutLines.contains { !$0.hasPrefix("verdict") && $0.contains(file) },
            "verify does not name \(file): \(verify.result.stdout.suffix(2000))", sourceLocation: sourceLocation)
}

@Suite struct BadInputTests {
    // MARK: not a store

    @Test func regularFile() throws {
        let path = Fixtures.store("rocketmq-4.9.8/sync_flush") + "/checkpoint"
        try expectRefused(path, status: 64, naming: path, mentioning: "not a directory")
    }

    @Test func emptyDirectory() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try expectRefused(scratch.root, status: 64, naming: scratch.root, mentioning: "no commitlog/")
    }

    @Test func commitLogDirectoryInsteadOfStore() throws {
        let path = Fixtures.store("rocketmq-4.9.8/sync_flush") + "/commitlog"
        try expectRefused(path, status: 64, naming: path, mentioning: "no commitlog/")
        let file = path + "/00000000000000000000"
        try expectRefused(file, status: 64, naming: file, mentioning: "not a directory")
    }

    @Test func commitLogIsAFile() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        #expect(FileManager.default.createFile(atPath: scratch.root + "/commitlog", contents: Data([1, 2, 3])))
        try expectRefused(scratch.root, status: 64, naming: scratch.root, mentioning: "no commitlog/")
    }

    @Test func missingPath() throws {
        let path = "/nonexistent/rmqstore-\(UUID().uuidString)"
        try expectRefused(path, status: 74, naming: path)
    }

    @Test func symlinkLoopAsStore() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let loop = scratch.root + "/loop"
        #expect(symlink("loop", loop) == 0)
        try expectRefused(loop, status: 74, naming: loop, mentioning: "symbolic link loop")
        let dangling = scratch.root + "/dangling"
        #expect(symlink("no-such-target", dangling) == 0)
        try expectRefused(dangling, status: 74, naming: dangling, mentioning: "dangling symbolic link")
    }

    @Test func commitLogSymlinkLoop() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let store = try scratch.copy()
        try FileManager.default.removeItem(atPath: store + "/commitlog")
        #expect(symlink("other", store + "/commitlog") == 0)
        #expect(symlink("commitlog", store + "/other") == 0)
        try expectRefused(store, status: 74, naming: "commitlog", mentioning: "symbolic link loop")
    }

    @Test func dledgerStore() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        // A DLedger broker keeps its log under dledger/ (and may still have an empty commitlog/).
        try FileManager.default.createDirectory(atPath: scratch.root + "/dledger/data", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: scratch.root + "/commitlog", withIntermediateDirectories: true)
        try expectRefused(scratch.root, status: 64, naming: "dledger", mentioning: "DLedger")
    }

    // MARK: permissions (root ignores them: the binary runs as nobody through setpriv)

    @Test(.enabled(if: BoundedCLI.canDropPrivileges, "running as root without setpriv(1): permissions cannot be denied"))
    func permissionDenied() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let store = try scratch.copy()
        // Unreadable store root.
        chmod(store, 0o700)
        for command in commands {
            let run = try #require(try BoundedCLI.runUnprivileged(command + [store], scratch: scratch.root))
            expectCleanError(run.result, status: 74, naming: store)
            #expect(run.result.stderr.contains("Permission denied"), "\(run.result.stderr)")
        }
        // Unreadable consume queue directory inside a readable store.
        chmod(store, 0o755)
        chmod(store + "/consumequeue", 0o700)
        for command in commands {
            let run = try #require(try BoundedCLI.runUnprivileged(command + [store], scratch: scratch.root))
            expectCleanError(run.result, status: 74, naming: "consumequeue")
        }
    }

    /// A read-only store (no write permission anywhere, as on a read-only mount): the read-only
    /// commands work as on a writable one; verify's lock probe must not need write access.
    @Test(.enabled(if: BoundedCLI.canDropPrivileges, "running as root without setpriv(1): permissions cannot be denied"))
    func readOnlyStore() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let store = try scratch.copy()
        let writable = try BoundedCLI.run(["verify", store]).result.status
        if let items = FileManager.default.enumerator(atPath: store) {
            for case let item as String in items {
                var isDir: ObjCBool = false
                FileManager.default.fileExists(atPath: store + "/" + item, isDirectory: &isDir)
                chmod(store + "/" + item, isDir.boolValue ? 0o555 : 0o444)
            }
        }
        chmod(store, 0o555)
        for (command, status) in [(["dump"], Int32(0)), (["stat"], 0), (["verify"], writable)] {
            let run = try #require(try BoundedCLI.runUnprivileged(command + [store], scratch: scratch.root))
            #expect(run.result.status == status, "\(command): \(run.result.status) \(run.result.stderr)")
            #expect(run.result.stderr.isEmpty, "\(command): \(run.result.stderr)")
            #expect(!run.result.stdout.isEmpty)
        }
    }

    // MARK: damaged files in a store

    @Test(arguments: ["commitlog/00000000000000065536", "consumequeue/TopicA/0/00000000000000000000",
                      "checkpoint", "config/delayOffset.json"])
    func zeroLengthFile(_ relative: String) throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let store = try scratch.copy()
        #expect(truncate(store + "/" + relative, 0) == 0)
        try expectDamageReported(store, file: relative)
    }

    @Test func zeroLengthIndexFile() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let store = try scratch.copy()
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: store + "/index").sorted().first)
        #expect(truncate(store + "/index/" + name, 0) == 0)
        try expectDamageReported(store, file: "index/" + name)
    }

    @Test(arguments: [("commitlog/00000000000000065536", 1000), ("commitlog/00000000000000065536", 70_000),
                      ("consumequeue/TopicA/0/00000000000000000000", 1001), ("checkpoint", 10), ("checkpoint", 5000)])
    func wrongSize(_ relative: String, size: Int) throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let store = try scratch.copy()
        #expect(truncate(store + "/" + relative, off_t(size)) == 0)
        try expectDamageReported(store, file: relative)
    }

    @Test func wrongSizeIndexFile() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let store = try scratch.copy()
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: store + "/index").sorted().last)
        #expect(truncate(store + "/index/" + name, 1001) == 0)
        try expectDamageReported(store, file: "index/" + name)
    }

    /// Stray names are reported; under commitlog/ as repairable (exit 1), elsewhere verify may
    /// rate them info (exit 0), but it must still name them.
    @Test(arguments: [("commitlog/abc", [1]), ("commitlog/123", [1]), ("commitlog/09223372036854775800", [1]),
                      ("consumequeue/TopicA/0/x", [0, 1]), ("consumequeue/TopicA/queue", [0, 1]),
                      ("index/not-a-time", [0, 1])] as [(String, Set<Int32>)])
    func namesThatAreNotOffsets(_ relative: String, verifyStatus: Set<Int32>) throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let store = try scratch.copy()
        // Real bytes under a bad name: a copy of the first commitlog file.
        try FileManager.default.copyItem(atPath: store + "/commitlog/00000000000000000000", toPath: store + "/" + relative)
        try expectDamageReported(store, file: relative, verifyStatus: verifyStatus)
    }

    /// 5.x with `storeType` RocksDB keeps consume queues in a RocksDB under consumequeue/: the
    /// file queues are not authoritative; verify says so (info) and the rest works.
    @Test func rocksDBConsumeQueue() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let store = try scratch.copy("rocketmq-5.3.3/v5_basic")
        for name in ["CURRENT", "IDENTITY", "LOCK", "LOG", "MANIFEST-000005", "OPTIONS-000007", "000004.sst"] {
            #expect(FileManager.default.createFile(atPath: store + "/consumequeue/" + name, contents: Data("x".utf8)))
        }
        for command in dumpVariants + [["verify"]] {
            let run = try BoundedCLI.run(command + [store])
            #expect(!run.timedOut && !run.result.signaled)
            expectNoBacktrace(run.result)
            #expect([0, 1].contains(run.result.status), "\(command): \(run.result.status) \(run.result.stderr)")
            #expect(run.result.stderrLines.allSatisfy { $0.hasPrefix("rmqstore: ") }, "\(command): \(run.result.stderr)")
        }
        let verify = try BoundedCLI.run(["verify", store]).result
        #expect(verify.stdout.contains("cq.rocksdb"), "\(verify.stdout)")
    }
}
