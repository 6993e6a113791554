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
    }

    /// Restores every file the journal touched, newest first; verifies each against its
    /// sha256Before. Returns what was done.
    public static func undo(journalAt journalPath: String) throws(StoreError) -> [Step] {
        var journal = try RepairJournal.load(journalPath)
        if journal.state == .undone { return [] }
        let root = journal.store
        let salvage = journal.salvageDirectory
        if let holder = StoreLock.holder(ofStoreAt: root) {
            throw StoreError(.locked, path: "lock", "store in use: the lock is held by pid \(holder); stop it first")
        }
        let lock = try HeldStoreLock(storeAt: root)
        defer { lock.release() }
        var steps: [Step] = []
        for entry in journal.entries.reversed() where entry.state != .pending {
            let path = root + "/" + entry.path
            let saved = entry.salvage.map { salvage + "/" + $0 }
            switch entry.action {
            case .replace:
                if let saved {
                    if try current(path) != entry.sha256Before {
                        try DurableFile.replaceAtomically(path, with: FileSystem.readFile(saved))
                        steps.append(Step(path: entry.path, action: "restored"))
                    }
                } else if FileSystem.exists(path) {
                    try DurableFile.remove(path)
                    steps.append(Step(path: entry.path, action: "removed (did not exist before)"))
                }
            case .resize:
                if try current(path) != entry.sha256Before {
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
                if !FileSystem.exists(path), let saved, FileSystem.exists(saved) {
                    try DurableFile.makeDirectories(DurableFile.parent(of: path))
                    try DurableFile.move(saved, to: path)
                    try DurableFile.syncDirectory(DurableFile.parent(of: path))
                    steps.append(Step(path: entry.path, action: "moved back"))
                }
            case .create:
                if FileSystem.exists(path) {
                    try DurableFile.remove(path)
                    try DurableFile.syncDirectory(DurableFile.parent(of: path))
                    steps.append(Step(path: entry.path, action: "removed (created by \(journal.command))"))
                }
            case .exchangeDirectory:
                let staging = root + "/" + (entry.staging ?? entry.path + ".rmqstore-staging")
                let stagingParent = DurableFile.parent(of: staging)
                let createdParent = !FileSystem.exists(stagingParent)
                try DurableFile.makeDirectories(stagingParent)
                let pathDigest = FileSystem.exists(path) ? try DurableFile.treeDigest(path) : nil
                let pathIsOld = pathDigest != nil && pathDigest == entry.sha256Before
                if !pathIsOld {
                    if let saved, FileSystem.exists(saved) {
                        if FileSystem.exists(staging) { try removeTree(staging) }
                        try DurableFile.move(saved, to: staging)
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
                if FileSystem.exists(staging) { try removeTree(staging) }
                if createdParent { try? DurableFile.removeDirectory(stagingParent) }
            }
            // Every restored file must be the original again.
            let restored = entry.action == .exchangeDirectory
                ? (FileSystem.exists(path) ? try DurableFile.treeDigest(path) : nil)
                : try current(path)
            guard restored == entry.sha256Before else {
                throw StoreError(.badData, path: entry.path,
                                 "after undo the SHA-256 is \(restored ?? "absent"), expected \(entry.sha256Before ?? "absent"): salvage copy incomplete?")
            }
        }
        // Scratch directories a killed repair left behind are ours: they go too.
        for entry in try FileSystem.list(root) where entry.kind == .directory && entry.name.hasPrefix(stagingPrefix) {
            try removeTree(root + "/" + entry.name)
            steps.append(Step(path: entry.name, action: "removed staging directory"))
        }
        journal.state = .undone
        try journal.save()
        return steps
    }

    private static func current(_ path: String) throws(StoreError) -> String? {
        FileSystem.exists(path) ? try DurableFile.sha256(path) : nil
    }

    /// rm -r of a directory this tool created (staging).
    public static func removeTree(_ path: String) throws(StoreError) {
        for entry in try FileSystem.list(path) {
            let child = path + "/" + entry.name
            if entry.kind == .directory { try removeTree(child) } else { try DurableFile.remove(child) }
        }
        try DurableFile.removeDirectory(path)
    }
}
