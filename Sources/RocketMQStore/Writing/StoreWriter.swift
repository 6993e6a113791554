// Applies a list of StoreChange to a store the careful way: under the broker's lock, saving
// every byte it cuts or overwrites into a salvage directory first, journaling each step
// (written atomically before and after it), and changing each file atomically (write aside,
// fsync, rename, fsync the directory). A kill at any point leaves every file old or new and a
// journal that says which; `JournalUndo` puts the old ones back.
//
// Tests kill the process after each durable step: RMQSTORE_CRASH_AFTER_STEP=N sends SIGKILL
// to ourselves right after step N.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import RocketMQFormat

public struct StoreWriter {
    public var root: String
    public var salvageDirectory: String
    public var command: String
    private var stepsDone = 0
    private let crashAfterStep: Int?

    public init(root: String, salvageDirectory: String, command: String) {
        self.root = root
        self.salvageDirectory = salvageDirectory
        self.command = command
        crashAfterStep = getenv("RMQSTORE_CRASH_AFTER_STEP").flatMap { Int(String(cString: $0)) }
    }

    /// `STORE/../rmqstore-salvage-<UTC time>` (with a suffix when it exists already).
    public static func defaultSalvageDirectory(forStoreAt root: String) -> String {
        let stamp = timeStamp()
        var absolute = root
        if !absolute.hasPrefix("/") {
            var buffer = [CChar](repeating: 0, count: 4096)
            if getcwd(&buffer, buffer.count) != nil {
                absolute = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) + "/" + root
            }
        }
        let base = DurableFile.parent(of: absolute) + "/rmqstore-salvage-" + stamp
        var candidate = base
        var n = 2
        while FileSystem.exists(candidate) { candidate = base + "-\(n)"; n += 1 }
        return candidate
    }

    /// The UTC time now as `yyyyMMdd-HHmmss` (salvage directory names).
    static func timeStamp() -> String {
        var now = time(nil)
        var parts = tm()
        gmtime_r(&now, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)\(two(parts.tm_mon + 1))\(two(parts.tm_mday))-\(two(parts.tm_hour))\(two(parts.tm_min))\(two(parts.tm_sec))"
    }

    private mutating func stepDone() {
        stepsDone += 1
        if let crashAfterStep, stepsDone == crashAfterStep { kill(getpid(), SIGKILL) }
    }

    /// Takes the lock, applies `changes` in order and returns the completed journal.
    public mutating func apply(_ changes: [StoreChange]) throws(StoreError) -> RepairJournal {
        try StoreLock.refuseIfHeld(storeAt: root)
        let lock = try HeldStoreLock(storeAt: root)
        defer { lock.release() }
        try DurableFile.makeDirectories(salvageDirectory + "/store")

        var journal = RepairJournal(command: command, store: root, salvageDirectory: salvageDirectory)
        for (i, change) in changes.enumerated() {
            journal.entries.append(try plannedEntry(change, step: i + 1))
        }
        try journal.save()
        stepDone()
        journal.state = .applying
        for (i, change) in changes.enumerated() {
            // 1. Save what will be cut or overwritten, then say so in the journal.
            try saveOriginal(change, entry: journal.entries[i])
            journal.entries[i].state = .applying
            try journal.save()
            stepDone()
            // 2. The change itself: atomic (write aside + rename, exchange, ftruncate), or for a
            //    resize, in place over the range the salvage holds (see `perform`).
            try perform(change, entry: journal.entries[i])
            stepDone()
            // 3. Record the result; known from what was written, nothing is read back.
            journal.entries[i].sha256After = afterDigest(change, entry: journal.entries[i])
            journal.entries[i].state = .done
            try journal.save()
            stepDone()
        }
        journal.state = .complete
        try journal.save()
        stepDone()
        return journal
    }

    /// The digest of the file once `change` is done, from the bytes written (replace/create),
    /// the zeros a resize leaves, or the staging tree hashed before the exchange.
    private func afterDigest(_ change: StoreChange, entry: RepairJournal.Entry) -> String? {
        switch change.kind {
        case .replace(let contents), .create(let contents): ContentDigest.of(bytes: contents)
        case .resize(let keep, let size): ContentDigest.format(SHA256.hexDigest([]), from: keep, end: min(keep, size), size: size)
        case .remove: nil
        case .exchangeDirectory: entry.sha256After
        }
    }

    private func plannedEntry(_ change: StoreChange, step: Int) throws(StoreError) -> RepairJournal.Entry {
        let path = root + "/" + change.path
        let size = try FileSystem.status(path)?.size
        var entry = RepairJournal.Entry(
            step: step, action: .replace, path: change.path, reason: change.reason, rangeStart: 0, rangeEnd: size ?? 0,
            sizeBefore: size, sizeAfter: nil, sha256Before: nil,
            sha256After: nil, salvage: nil, staging: nil, state: .pending)
        switch change.kind {
        case .replace(let contents):
            entry.sizeAfter = Int64(contents.count)
            entry.salvage = size == nil ? nil : "store/" + change.path
            entry.sha256Before = try ContentDigest.of(path)
        case .resize(let keep, let newSize):
            entry.action = .resize
            entry.rangeStart = keep
            entry.sizeAfter = newSize
            // Only the changed range is hashed, and only its non-zero part is saved.
            entry.sha256Before = try ContentDigest.of(path, from: keep)
            // A plain digest (no ":end:size") covers the whole file from 0: a cut at 0 of a file
            // with no zero tail (a torn first record) saves all of it.
            if let size, keep < size, let end = Self.end(ofDigest: entry.sha256Before) ?? (entry.sha256Before == nil ? nil : size), end > keep {
                entry.salvage = "store/\(change.path).bytes-\(keep)-\(end)"
            }
        case .remove:
            entry.action = .remove
            entry.sizeAfter = nil
            entry.salvage = "store/" + change.path
            // A stray directory is moved whole: its digest is the tree's.
            entry.sha256Before = FileSystem.isDirectory(path) ? try ContentDigest.tree(path) : try ContentDigest.of(path)
        case .create(let contents):
            guard size == nil else { throw StoreError(.io, path: change.path, "exists already; refusing to overwrite it") }
            entry.action = .create
            entry.sizeAfter = Int64(contents.count)
        case .exchangeDirectory(let staging):
            entry.action = .exchangeDirectory
            entry.staging = staging
            entry.rangeEnd = 0
            if size != nil { entry.salvage = "store/" + change.path }
            // Each tree is hashed once: the old one here, the new one in staging before the
            // exchange (renames move it unchanged), the two at the same time.
            if let known = change.treeDigests, known.before.path == path {
                entry.sha256Before = try known.before.current()
                entry.sha256After = known.after
                break
            }
            let stagingPath = root + "/" + staging
            var before: Result<String?, StoreError> = .success(nil)
            let after = try Self.concurrently({ () throws(StoreError) -> String in try ContentDigest.tree(stagingPath) }) {
                before = Result { () throws(StoreError) -> String? in FileSystem.exists(path) ? try ContentDigest.tree(path) : nil }
            }
            entry.sha256Before = try before.get()
            entry.sha256After = after
        }
        return entry
    }

    /// `end` of a `hex:end:size` digest; the size for a plain one.
    static func end(ofDigest digest: String?) -> Int64? {
        guard let digest else { return nil }
        let parts = digest.split(separator: ":")
        return parts.count == 3 ? Int64(parts[1]) : nil
    }

    private func saveOriginal(_ change: StoreChange, entry: RepairJournal.Entry) throws(StoreError) {
        guard let salvage = entry.salvage else { return }
        let source = root + "/" + change.path
        let destination = salvageDirectory + "/" + salvage
        try DurableFile.makeDirectories(DurableFile.parent(of: destination))
        switch change.kind {
        case .replace:
            try DurableFile.copyFile(source, to: destination)
        case .resize(let keep, _):
            let end = Self.end(ofDigest: entry.sha256Before) ?? entry.sizeBefore ?? keep
            let input = try DurableFile.open(source, O_RDONLY)
            defer { close(input) }
            let output = try DurableFile.open(destination, O_WRONLY | O_CREAT | O_TRUNC)
            defer { close(output) }
            try DurableFile.copyRange(input, from: keep, to: output, at: 0, count: end - keep, path: source)
            try DurableFile.sync(output, path: destination)
        case .remove, .create, .exchangeDirectory:
            return  // moved (not copied) while performing the change
        }
        try DurableFile.syncDirectory(DurableFile.parent(of: destination))
    }

    private func perform(_ change: StoreChange, entry: RepairJournal.Entry) throws(StoreError) {
        let path = root + "/" + change.path
        let parent = DurableFile.parent(of: path)
        switch change.kind {
        case .replace(let contents), .create(let contents):
            try DurableFile.makeDirectories(parent)
            try DurableFile.replaceAtomically(path, with: contents)
        case .resize(let keep, let size):
            // In place, not a 1 GiB copy aside. Why a kill cannot leave a mix that undo cannot
            // mend: bytes [0, keep), the valid data, are never written, in the old file, the
            // new one or any state between. Only [keep, end) is written (zeros) and the length
            // set; before that, the salvage holds [keep, end) (fsynced) and the journal says
            // "applying" with the range's digest. So after a kill the range is old, new (all
            // zeros) or partly zeroed, and undo, seeing a digest that is not sha256Before,
            // writes the saved bytes back over the range and checks the digest again. For a
            // broker, each of these states has the same valid log [0, keep): a zero TOTALSIZE,
            // or the bytes the check already rejected, end it at keep.
            let end = min(Self.end(ofDigest: entry.sha256Before) ?? entry.sizeBefore ?? keep, size)
            try DurableFile.resizeInPlace(path, zeroing: keep..<max(keep, end), size: size)
        case .remove:
            let destination = salvageDirectory + "/" + (entry.salvage ?? "store/" + change.path)
            try DurableFile.makeDirectories(DurableFile.parent(of: destination))
            try DurableFile.move(path, to: destination)
            try DurableFile.syncDirectory(DurableFile.parent(of: destination))
            try DurableFile.syncDirectory(parent)
        case .exchangeDirectory(let staging):
            let stagingPath = root + "/" + staging
            if FileSystem.exists(path) {
                try DurableFile.exchange(stagingPath, path)
                try DurableFile.syncDirectory(parent)
                let destination = salvageDirectory + "/" + (entry.salvage ?? "store/" + change.path)
                try DurableFile.makeDirectories(DurableFile.parent(of: destination))
                try DurableFile.move(stagingPath, to: destination)
                try DurableFile.syncDirectory(DurableFile.parent(of: destination))
            } else {
                try DurableFile.rename(stagingPath, path)
            }
            try DurableFile.syncDirectory(parent)
        }
    }
}
