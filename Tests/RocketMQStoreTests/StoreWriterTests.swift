// The write layer: changes land, every cut byte is in the salvage directory, the journal
// records SHA-256 before/after, and undo restores the original bytes exactly.

import Foundation
import RocketMQFormat
import RocketMQStore
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

enum TempStore {
    /// A copy of a fixture's store in a fresh temporary directory (fixtures are never changed).
    static func copy(_ scenario: String) throws -> String {
        let base = try ScratchDirectory.make("rmqstore-test")
        try FileManager.default.copyItem(atPath: Fixtures.store(scenario), toPath: base + "/store")
        return base + "/store"
    }

    /// path → bytes of every file under `root`.
    static func snapshot(_ root: String) throws -> [String: Data] {
        var result: [String: Data] = [:]
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let relative = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            FileManager.default.fileExists(atPath: root + "/" + relative, isDirectory: &isDirectory)
            if !isDirectory.boolValue && relative != "lock" { result[relative] = try Data(contentsOf: URL(fileURLWithPath: root + "/" + relative)) }
        }
        return result
    }
}

@Suite struct StoreWriterTests {
    @Test func applyThenUndoRestoresEveryByte() throws {
        let store = try TempStore.copy("rocketmq-4.9.8/corrupt_base")
        let before = try TempStore.snapshot(store)
        let salvage = DurableFile.parent(of: store) + "/salvage"
        let last = "commitlog/00000000000000786432"
        var writer = StoreWriter(root: store, salvageDirectory: salvage, command: "test")
        let journal = try writer.apply([
            StoreChange(last, .resize(keep: 1000, size: 65536), reason: "cut"),
            StoreChange("commitlog/00000000000000720896", .remove, reason: "later file"),
            StoreChange("checkpoint", .replace(contents: [UInt8](repeating: 7, count: 4096)), reason: "fix"),
            StoreChange("config/new.json", .create(contents: Array("{}".utf8)), reason: "new"),
        ])
        #expect(journal.state == .complete)
        #expect(journal.entries.allSatisfy { $0.state == .done && $0.sha256After != nil || $0.action == .remove })
        let after = try TempStore.snapshot(store)
        #expect(after[last]?.count == 65536)
        #expect(after[last]?.prefix(1000) == before[last]?.prefix(1000))
        #expect(after[last]?.dropFirst(1000).allSatisfy { $0 == 0 } == true)
        #expect(after["commitlog/00000000000000720896"] == nil)
        // The cut bytes and the removed file are in the salvage directory.
        // Only the range's bytes up to its last non-zero one are saved; the rest was zeros.
        let range = before[last]!.dropFirst(1000)
        let end = 1000 + (range.lastIndex { $0 != 0 }.map { $0 - range.startIndex + 1 } ?? 0)
        let cut = try Data(contentsOf: URL(fileURLWithPath: salvage + "/store/\(last).bytes-1000-\(end)"))
        #expect(cut == range.prefix(end - 1000))
        #expect(try Data(contentsOf: URL(fileURLWithPath: salvage + "/store/commitlog/00000000000000720896")) == before["commitlog/00000000000000720896"])
        // The journal on disk parses back and names SHA-256 of the original.
        let saved = try RepairJournal.load(salvage + "/journal.json")
        // The journal on disk parses back; a resize's digests cover the changed range only.
        #expect(saved.version == 2)
        #expect(saved.entries.first?.sha256Before == ContentDigest.of(bytes: Array(range), from: 1000))
        #expect(saved.entries.first?.sha256After == ContentDigest.of(bytes: [UInt8](repeating: 0, count: 65536 - 1000), from: 1000))
        #expect(saved.entries[2].sha256Before == ContentDigest.of(bytes: Array(before["checkpoint"]!)))

        _ = try JournalUndo.undo(journalAt: salvage + "/journal.json")
        #expect(try TempStore.snapshot(store) == before)
    }

    /// A kill while a resize zeroes its range in place leaves the range partly zeroed: neither
    /// old nor new. The journal says `applying`; undo must see that and restore every byte.
    @Test func undoRestoresAPartlyZeroedRange() throws {
        let store = try TempStore.copy("rocketmq-4.9.8/corrupt_base")
        let before = try TempStore.snapshot(store)
        let salvage = DurableFile.parent(of: store) + "/salvage"
        let last = "commitlog/00000000000000786432"
        var writer = StoreWriter(root: store, salvageDirectory: salvage, command: "test")
        var journal = try writer.apply([StoreChange(last, .resize(keep: 1000, size: 65536), reason: "cut")])
        // Put back the second half of the cut bytes: the state a kill in the middle leaves.
        let original = Array(before[last]!)
        let end = StoreWriterTestsEnd.of(original, from: 1000)
        let half = 1000 + (end - 1000) / 2
        let fd = open(store + "/" + last, O_WRONLY)
        _ = original[half..<end].withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(half)) }
        close(fd)
        let mixed = try ContentDigest.current(journal.entries[0], root: store, version: journal.version)
        #expect(mixed != journal.entries[0].sha256Before && mixed != journal.entries[0].sha256After)
        journal.entries[0].state = .applying
        journal.state = .applying
        try journal.save()
        let steps = try JournalUndo.undo(journalAt: salvage + "/journal.json")
        #expect(steps.contains { $0.path == last && $0.action == "restored" })
        #expect(try TempStore.snapshot(store) == before)
    }

    @Test func refusesALockedStore() throws {
        let store = try TempStore.copy("rocketmq-4.9.8/basic")
        // A lock held by another process: a child holding fcntl on byte 0.
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        child.arguments = ["-c", "import fcntl,time,sys; f=open(sys.argv[1],'r+'); fcntl.lockf(f, fcntl.LOCK_EX|fcntl.LOCK_NB, 1, 0); print('locked', flush=True); time.sleep(30)", store + "/lock"]
        let pipe = Pipe()
        child.standardOutput = pipe
        try child.run()
        defer { child.terminate() }
        _ = pipe.fileHandleForReading.availableData
        var writer = StoreWriter(root: store, salvageDirectory: store + "/../s", command: "test")
        #expect { try writer.apply([]) } throws: { ($0 as? StoreError)?.exitCode == 75 }
    }
}

enum StoreWriterTestsEnd {
    /// One past the last non-zero byte at or after `from`.
    static func of(_ bytes: [UInt8], from: Int) -> Int {
        var end = bytes.count
        while end > from && bytes[end - 1] == 0 { end -= 1 }
        return end
    }
}
