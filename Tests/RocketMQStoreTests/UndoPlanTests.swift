// Undo after the store changed again: a broker ran on the repaired store, or another repair
// did. Undo must not throw those later writes away: it refuses and changes nothing, and forced
// it saves each changed version before putting the original back.

import Foundation
import RocketMQFormat
import RocketMQStore
import TestSupport
import Testing

@Suite struct UndoPlanTests {
    static let last = "commitlog/00000000000000786432"

    /// A repair touching one file of each kind, applied to a copy of `corrupt_base`.
    static func repaired() throws -> (store: String, salvage: String, before: [String: Data]) {
        let store = try TempStore.copy("rocketmq-4.9.8/corrupt_base")
        let before = try TempStore.snapshot(store)
        let salvage = DurableFile.parent(of: store) + "/salvage"
        var writer = StoreWriter(root: store, salvageDirectory: salvage, command: "test")
        _ = try writer.apply([
            StoreChange(last, .resize(keep: 1000, size: 65536), reason: "cut"),
            StoreChange("commitlog/00000000000000720896", .remove, reason: "later file"),
            StoreChange("checkpoint", .replace(contents: [UInt8](repeating: 7, count: 4096)), reason: "fix"),
            StoreChange("config/new.json", .create(contents: Array("{}".utf8)), reason: "new"),
        ])
        return (store, salvage, before)
    }

    static func overwrite(_ path: String, at offset: UInt64, with bytes: [UInt8]) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seek(toOffset: offset)
        try handle.write(contentsOf: Data(bytes))
        try handle.close()
    }

    @Test func aStoreAsTheRepairLeftItIsRestoredWhole() throws {
        let (store, salvage, before) = try Self.repaired()
        let plan = try UndoPlan(journalAt: salvage + "/journal.json")
        #expect(plan.steps.map(\.verdict) == [.restore, .restore, .restore, .restore])
        #expect(plan.changedSince.isEmpty)
        _ = try JournalUndo.undo(journalAt: salvage + "/journal.json")
        #expect(try TempStore.snapshot(store) == before)
        #expect(try UndoPlan(journalAt: salvage + "/journal.json").isUndone)
    }

    /// Records a broker appended where the cut was, and a checkpoint it flushed: refused,
    /// with every file left as it is; then forced, with both changed versions kept.
    @Test func filesChangedAfterTheRepairAreRefusedThenKeptWhenForced() throws {
        let (store, salvage, before) = try Self.repaired()
        let appended = [UInt8](repeating: 0x5A, count: 300)
        try Self.overwrite(store + "/" + Self.last, at: 1000, with: appended)
        try Self.overwrite(store + "/checkpoint", at: 0, with: [1, 2, 3])
        let changed = try TempStore.snapshot(store)

        let plan = try UndoPlan(journalAt: salvage + "/journal.json")
        #expect(plan.steps.map(\.verdict) == [.changedSince, .restore, .changedSince, .restore])
        #expect(plan.changedSince.map(\.entry.path) == [Self.last, "checkpoint"])
        #expect(throws: StoreError.self) { try JournalUndo.undo(journalAt: salvage + "/journal.json") }
        #expect(try TempStore.snapshot(store) == changed)
        #expect(try RepairJournal.load(salvage + "/journal.json").state == .complete)

        let steps = try JournalUndo.undo(journalAt: salvage + "/journal.json", force: true)
        #expect(try TempStore.snapshot(store) == before)
        let displaced = try #require(try FileManager.default.contentsOfDirectory(atPath: salvage).first { $0.hasPrefix("undo-displaced-") })
        #expect(FileManager.default.contents(atPath: salvage + "/" + displaced + "/checkpoint") == changed["checkpoint"])
        #expect(FileManager.default.contents(atPath: salvage + "/" + displaced + "/" + Self.last) == changed[Self.last])
        #expect(steps.filter { $0.action.hasPrefix("saved its version changed since") }.count == 2)
    }

    /// A file the repair removed, made again since: forced, the new one is moved aside, never
    /// overwritten.
    @Test func aRemovedFileMadeAgainIsMovedAsideWhenForced() throws {
        let (store, salvage, before) = try Self.repaired()
        let removed = "commitlog/00000000000000720896"
        FileManager.default.createFile(atPath: store + "/" + removed, contents: Data([9, 9, 9]))
        let plan = try UndoPlan(journalAt: salvage + "/journal.json")
        #expect(plan.steps.map(\.verdict) == [.restore, .changedSince, .restore, .restore])
        #expect(throws: StoreError.self) { try JournalUndo.undo(journalAt: salvage + "/journal.json") }
        _ = try JournalUndo.undo(journalAt: salvage + "/journal.json", force: true)
        #expect(try TempStore.snapshot(store) == before)
        let displaced = try #require(try FileManager.default.contentsOfDirectory(atPath: salvage).first { $0.hasPrefix("undo-displaced-") })
        #expect(FileManager.default.contents(atPath: salvage + "/" + displaced + "/" + removed) == Data([9, 9, 9]))
    }

    /// Entries already put back by an interrupted undo are `original`; the rest still restore.
    @Test func filesAlreadyBackAreLeftAlone() throws {
        let (store, salvage, before) = try Self.repaired()
        FileManager.default.createFile(atPath: store + "/checkpoint", contents: before["checkpoint"])
        let plan = try UndoPlan(journalAt: salvage + "/journal.json")
        #expect(plan.steps.map(\.verdict) == [.restore, .restore, .original, .restore])
        _ = try JournalUndo.undo(journalAt: salvage + "/journal.json")
        #expect(try TempStore.snapshot(store) == before)
    }

    /// An undo stopped half-way through writing a cut range back leaves it neither old nor new;
    /// the journal says `undoing`, so undo again finishes it instead of refusing.
    @Test func anUndoStoppedHalfWayIsFinished() throws {
        let (store, salvage, before) = try Self.repaired()
        var journal = try RepairJournal.load(salvage + "/journal.json")
        let original = Array(before[Self.last]!)
        try Self.overwrite(store + "/" + Self.last, at: 1000, with: Array(original[1000..<1100]))
        #expect(try UndoPlan(journal: journal).steps[0].verdict == .changedSince)
        journal.state = .undoing
        try journal.save()
        let plan = try UndoPlan(journalAt: salvage + "/journal.json")
        #expect(plan.isInterruptedUndo)
        #expect(plan.changedSince.isEmpty)
        _ = try JournalUndo.undo(journalAt: salvage + "/journal.json")
        #expect(try TempStore.snapshot(store) == before)
        #expect(try RepairJournal.load(salvage + "/journal.json").state == .undone)
    }

    /// The salvage directory moved elsewhere before the undo: its copies are found where the
    /// journal is, not where it was written.
    @Test func aMovedSalvageDirectoryStillUndoes() throws {
        let (store, salvage, before) = try Self.repaired()
        let moved = DurableFile.parent(of: store) + "/elsewhere"
        try FileManager.default.moveItem(atPath: salvage, toPath: moved)
        _ = try JournalUndo.undo(journalAt: moved + "/journal.json")
        #expect(try TempStore.snapshot(store) == before)
        #expect(!FileManager.default.fileExists(atPath: salvage))
    }
}
