// `rmqstore undo JOURNAL`: puts a store back exactly as it was before a journaled change, also
// after a crash in the middle of one (entries still `applying` may be old or new: each is
// checked by its SHA-256 and restored only when it is not the original any more).

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

public enum JournalUndo {
    /// Repairs build new files in `<store>/.rmqstore-staging-<command>/` (same file system, so
    /// directories can be exchanged atomically).
    public static let stagingPrefix = ".rmqstore-staging-"

    public struct Step: Sendable {
        public var path: String
        public var action: String
        /// A file put back (not a changed version saved aside, nor scratch space removed).
        public var restoresFile = true
    }

    /// Restores every file the journal touched, newest first; verifies each against its
    /// sha256Before. Refuses (nothing changed) when a file the repair finished has changed
    /// since (`UndoPlan`), unless `force`: then each such file's present version is first
    /// saved under `<salvage>/undo-displaced-<time>/`. Returns what was done.
    public static func undo(journalAt journalPath: String, force: Bool = false) throws(StoreError) -> [Step] {
        var journal = try RepairJournal.load(journalPath)
        if journal.state == .undone { return [] }
        let root = journal.store
        let salvage = journal.salvageDirectory
        try StoreLock.refuseIfHeld(storeAt: root)
        let lock = try HeldStoreLock(storeAt: root)
        defer { lock.release() }
        let plan = try UndoPlan(journal: journal)
        if let changed = plan.changedSince.first, !force {
            throw StoreError(.badData, path: changed.entry.path, Self.changedSinceMessage(changed, count: plan.changedSince.count))
        }
        // From here files change: a stopped undo must be finishable by undo again.
        if journal.state != .undoing {
            journal.state = .undoing
            try journal.save()
        }
        var crash = CrashHook()
        crash.stepDone()
        let displaced = salvage + "/undo-displaced-" + StoreWriter.timeStamp()
        var steps: [Step] = []
        let version = journal.version
        for step in plan.steps.reversed() where step.verdict != .notApplied {
            let entry = step.entry
            let path = root + "/" + entry.path
            let saved = entry.salvage.map { salvage + "/" + $0 }
            let restore = step.verdict != .original
            func current() throws(StoreError) -> String? { try ContentDigest.current(entry, root: root, version: version) }
            // A version changed after the repair (forced) is kept under `displaced` first: moved
            // when undo would move it away anyway, else copied.
            func keepChanged(_ source: String, moving: Bool) throws(StoreError) {
                let target = displaced + "/" + entry.path
                try DurableFile.makeDirectories(DurableFile.parent(of: target))
                if moving { try DurableFile.move(source, to: target) } else { try DurableFile.copySparse(source, to: target) }
                steps.append(Step(path: entry.path, action: "saved its version changed since the repair to \(target)", restoresFile: false))
            }
            if step.verdict == .changedSince, entry.action != .exchangeDirectory, FileSystem.exists(path) {
                try keepChanged(path, moving: entry.action == .remove)
            }
            switch entry.action {
            case .replace where restore:
                if let saved {
                    try DurableFile.replaceAtomically(path, with: FileSystem.readFile(saved))
                    steps.append(Step(path: entry.path, action: "restored"))
                } else if FileSystem.exists(path) {
                    try DurableFile.remove(path)
                    steps.append(Step(path: entry.path, action: "removed (did not exist before)"))
                }
            case .replace:
                break
            case .resize where version >= 2:
                // The range only: [0, rangeStart) was never written. Restoring in place is
                // safe to repeat: a kill here leaves the journal as it was, and undo again.
                if restore {
                    let keep = entry.rangeStart
                    let size = entry.sizeBefore ?? keep
                    let fd = try DurableFile.open(path, O_RDWR)
                    defer { close(fd) }
                    // Cut to keep, then back to the old length: the range reads as zeros.
                    guard ftruncate(fd, off_t(min(keep, size))) == 0, ftruncate(fd, off_t(size)) == 0 else {
                        throw StoreError(.io, path: path, "cannot set length \(size)")
                    }
                    crash.stepDone()
                    if let saved {
                        let input = try DurableFile.open(saved, O_RDONLY)
                        defer { close(input) }
                        let count = try FileSystem.status(saved)?.size ?? 0
                        try DurableFile.copyRange(input, from: 0, to: fd, at: keep, count: count, path: saved)
                    }
                    try DurableFile.sync(fd, path: path)
                    steps.append(Step(path: entry.path, action: "restored"))
                }
            case .resize:
                if restore {
                    let aside = path + ".rmqstore-undo"
                    let keep = min(entry.rangeStart, entry.sizeBefore ?? 0)
                    try DurableFile.writePrefixCopy(of: path, length: keep, size: entry.sizeBefore ?? keep, to: aside)
                    if let saved {
                        let input = try DurableFile.open(saved, O_RDONLY)
                        defer { close(input) }
                        let output = try DurableFile.open(aside, O_WRONLY)
                        defer { close(output) }
                        try DurableFile.copyRange(input, from: 0, to: output, at: keep, count: (entry.sizeBefore ?? keep) - keep, path: saved)
                        try DurableFile.sync(output, path: aside)
                    }
                    try DurableFile.rename(aside, path)
                    try DurableFile.syncDirectory(DurableFile.parent(of: path))
                    steps.append(Step(path: entry.path, action: "restored"))
                }
            case .remove:
                if restore, !FileSystem.exists(path), let saved, FileSystem.exists(saved) {
                    try DurableFile.makeDirectories(DurableFile.parent(of: path))
                    try DurableFile.move(saved, to: path)
                    try DurableFile.syncDirectory(DurableFile.parent(of: path))
                    steps.append(Step(path: entry.path, action: "moved back"))
                }
            case .create:
                if restore, FileSystem.exists(path) {
                    try DurableFile.remove(path)
                    try DurableFile.syncDirectory(DurableFile.parent(of: path))
                    steps.append(Step(path: entry.path, action: "removed (created by \(journal.command))"))
                }
            case .exchangeDirectory:
                let staging = root + "/" + (entry.staging ?? entry.path + ".rmqstore-staging")
                let stagingParent = DurableFile.parent(of: staging)
                let createdParent = !FileSystem.exists(stagingParent)
                try DurableFile.makeDirectories(stagingParent)
                if restore {
                    if let saved, FileSystem.exists(saved) {
                        if FileSystem.exists(staging) { try removeTree(staging) }
                        try DurableFile.move(saved, to: staging)
                        crash.stepDone()
                    }
                    if FileSystem.exists(staging) && FileSystem.exists(path) {
                        try DurableFile.exchange(staging, path)
                    } else if FileSystem.exists(staging) {
                        try DurableFile.rename(staging, path)
                    } else if entry.sha256Before == nil, FileSystem.exists(path) {
                        try DurableFile.rename(path, staging)  // there was no directory before
                    }
                    try DurableFile.syncDirectory(DurableFile.parent(of: path))
                    steps.append(Step(path: entry.path, action: "restored directory"))
                }
                // What the exchange displaced: the repair's tree (made again by repeating the
                // repair) is removed; a tree changed since (forced) is kept.
                if step.verdict == .changedSince, FileSystem.exists(staging) { try keepChanged(staging, moving: true) }
                if FileSystem.exists(staging) { try removeTree(staging) }
                if createdParent { try? DurableFile.removeDirectory(stagingParent) }
            }
            // Every restored file must be the original again.
            let restored = try current()
            guard restored == entry.sha256Before else {
                throw StoreError(.badData, path: entry.path,
                                 "after undo the SHA-256 is \(restored ?? "absent"), expected \(entry.sha256Before ?? "absent"): salvage copy incomplete?")
            }
            crash.stepDone()
        }
        // Scratch directories a killed repair left behind are ours: they go too.
        for entry in try FileSystem.list(root) where entry.kind == .directory && entry.name.hasPrefix(stagingPrefix) {
            try removeTree(root + "/" + entry.name)
            steps.append(Step(path: entry.name, action: "removed staging directory", restoresFile: false))
        }
        journal.state = .undone
        try journal.save()
        return steps
    }

    /// Why undo refuses: the first file changed after the repair, and how many there are.
    public static func changedSinceMessage(_ step: UndoPlan.Step, count: Int) -> String {
        let others = count > 1 ? " (and \(count - 1) more)" : ""
        return "changed after the repair\(others): its SHA-256 is \(step.current ?? "absent"), neither the repair's result "
            + "(\(step.entry.sha256After ?? "absent")) nor the original (\(step.entry.sha256Before ?? "absent")); undo would throw "
            + "the later changes away, so nothing was changed (--force saves the changed versions in the salvage directory first)"
    }

    /// rm -r of a directory this tool created (staging).
    public static func removeTree(_ path: String) throws(StoreError) {
        for entry in try FileSystem.list(path) {
            let child = path + "/" + entry.name
            if entry.kind == .directory { try removeTree(child) } else { try DurableFile.remove(child) }
        }
        try DurableFile.removeDirectory(path)
    }

    /// `RMQSTORE_CRASH_AFTER_UNDO_STEP=n` kills the process after undo's n-th write step: how the
    /// kill tests stop an undo half-way (as `StoreWriter`'s RMQSTORE_CRASH_AFTER_STEP a repair).
    struct CrashHook {
        private let after = getenv("RMQSTORE_CRASH_AFTER_UNDO_STEP").flatMap { Int(String(cString: $0)) }
        private var done = 0

        mutating func stepDone() {
            done += 1
            if let after, done == after { kill(getpid(), SIGKILL) }
        }
    }
}
