// recover on every damaged fixture: the store verifies clean afterwards, the log ends where a
// real broker cut it, every cut byte is in the salvage directory, and undo restores the
// original bytes exactly.

import Foundation
import RocketMQFormat
import RocketMQStore
@testable import RocketMQTools
import TestSupport
import Testing

@Suite struct RecoverTests {
    static let damaged = [
        "rocketmq-4.9.8/crash_killed", "rocketmq-4.9.8/corrupt_a_torn_tail_zeroed",
        "rocketmq-4.9.8/corrupt_a2_torn_file_truncated", "rocketmq-4.9.8/corrupt_b_crc_flip_middle",
        "rocketmq-4.9.8/corrupt_b2_crc_flip_last_file", "rocketmq-4.9.8/corrupt_c_cq_ahead_of_commitlog",
        "rocketmq-4.9.8/corrupt_d_cq_missing", "rocketmq-4.9.8/corrupt_e_index_missing",
        "rocketmq-4.9.8/corrupt_f_checkpoint_missing",
    ]

    /// The cuts real brokers made (normal and abnormal recovery), or — when load() failed — the
    /// end the fixture's own decoding records for the last data file.
    static func brokerCuts(_ scenario: String) throws -> Set<Int64> {
        var cuts = Set<Int64>()
        for file in ["recovery.json", "recovery_abnormal.json"] {
            let path = Fixtures.expected(scenario, file)
            guard FileManager.default.fileExists(atPath: path) else { continue }
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any]
            if let afterLoad = json?["afterLoad"] as? [String: Any], let cut = (afterLoad["commitLogMaxOffset"] as? NSNumber)?.int64Value {
                cuts.insert(cut)
            }
        }
        if cuts.isEmpty {
            let text = try String(contentsOfFile: Fixtures.expected(scenario, "messages.ndjson"), encoding: .utf8)
            let ends = text.split(separator: "\n").compactMap { line -> Int64? in
                guard let json = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                      json["type"] as? String == "end" else { return nil }
                return (json["physicalOffset"] as? NSNumber)?.int64Value
            }
            if let last = ends.max() { cuts.insert(last) }
        }
        return cuts
    }

    @Test(arguments: damaged)
    func recoveredStoreVerifiesCleanAndUndoRestores(_ scenario: String) throws {
        let store = try RepairFixtures.copy(scenario)
        let salvage = store + "/../salvage"
        let options = try RepairFixtures.storeOptions(scenario)
        let before = RepairFixtures.files(store)
        let recoverer = StoreRecoverer(layout: try StoreLayout.discover(store, options: options), acceptLoss: true)
        let result = try recoverer.apply(salvageDirectory: salvage)
        let journal = try #require(result.journal)
        #expect(journal.state == .complete)

        // The end is where a real broker cut the log.
        let cuts = try Self.brokerCuts(scenario)
        #expect(cuts.contains(result.plan.endOffset), "end \(result.plan.endOffset), broker cut at \(cuts)")

        // The recovered store verifies clean.
        let layout = try StoreLayout.discover(store, options: options)
        var findings: [String] = []
        let summary = StoreVerifier(layout: layout).run { findings.append("\($0.code) \($0.file ?? ""): \($0.message)") }
        #expect(summary.exitCode == 0, "\(findings)")
        #expect(!FileSystem.exists(store + "/abort"))

        // Every byte cut or overwritten is in the salvage directory.
        for entry in journal.entries {
            let original = before[entry.path]
            switch entry.action {
            case .resize:
                guard let saved = entry.salvage else { continue }
                // The salvage holds the range up to its last non-zero byte; the rest was zeros.
                let bytes = try Data(contentsOf: URL(fileURLWithPath: salvage + "/" + saved))
                let range = original?.dropFirst(Int(entry.rangeStart))
                #expect(range?.prefix(bytes.count) == bytes, "\(entry.path)")
                #expect(range?.dropFirst(bytes.count).allSatisfy { $0 == 0 } == true, "\(entry.path)")
            case .remove, .replace:
                guard let saved = entry.salvage, let original else { continue }
                #expect(try Data(contentsOf: URL(fileURLWithPath: salvage + "/" + saved)) == original, "\(entry.path)")
            case .create, .exchangeDirectory:
                continue
            }
        }

        _ = try JournalUndo.undo(journalAt: salvage + "/journal.json")
        #expect(RepairFixtures.files(store) == before)
    }

    @Test func damageInTheMiddleIsRefusedWithoutAcceptLoss() throws {
        let scenario = "rocketmq-4.9.8/corrupt_b_crc_flip_middle"
        let store = try RepairFixtures.copy(scenario)
        let before = RepairFixtures.files(store)
        let recoverer = StoreRecoverer(layout: try StoreLayout.discover(store, options: RepairFixtures.storeOptions(scenario)))
        let result = try recoverer.apply(salvageDirectory: store + "/../salvage")
        #expect(result.plan.verdict == .midLogDamage)
        #expect(result.journal == nil)
        #expect(result.plan.recordsAfterEnd > 0)
        #expect(RepairFixtures.files(store) == before)
    }

    @Test(arguments: ["rocketmq-4.9.8/basic", "rocketmq-4.9.8/corrupt_base", "rocketmq-4.9.8/transaction"])
    func cleanStoreNeedsNothing(_ scenario: String) throws {
        let plan = try StoreRecoverer(layout: StoreLayout.discover(Fixtures.store(scenario), options: RepairFixtures.storeOptions(scenario))).plan()
        #expect(plan.verdict == .clean, "\(plan.lines)")
    }

    @Test func mendsStartupBlockers() throws {
        let scenario = "rocketmq-4.9.8/corrupt_base"
        let store = try RepairFixtures.copy(scenario)
        let fm = FileManager.default
        // #6904 zero-length file, #3257 stray name, #9728 empty CQ file, #3401 corrupt config with good .bak.
        fm.createFile(atPath: store + "/commitlog/00000000000000851968", contents: Data())
        fm.createFile(atPath: store + "/commitlog/.DS_Store", contents: Data(repeating: 1, count: 65536))
        fm.createFile(atPath: store + "/consumequeue/TopicA/0/00000000000000001280", contents: Data())
        let delay = try Data(contentsOf: URL(fileURLWithPath: store + "/config/delayOffset.json"))
        try delay.write(to: URL(fileURLWithPath: store + "/config/delayOffset.json.bak"))
        try Data("{\"offsetTable\":{1:".utf8).write(to: URL(fileURLWithPath: store + "/config/delayOffset.json"))
        let options = try RepairFixtures.storeOptions(scenario)
        let preview = try StartupSimulator.preview(store, storeOptions: options)
        #expect(!preview.loadSucceeded)
        let result = try StoreRecoverer(layout: StoreLayout.discover(store, options: options)).apply(salvageDirectory: store + "/../s")
        #expect(result.journal != nil)
        #expect(try Data(contentsOf: URL(fileURLWithPath: store + "/config/delayOffset.json")) == delay)
        #expect(try StartupSimulator.preview(store, storeOptions: options).loadSucceeded)
        for gone in ["commitlog/00000000000000851968", "commitlog/.DS_Store", "consumequeue/TopicA/0/00000000000000001280"] {
            #expect(!fm.fileExists(atPath: store + "/" + gone), "\(gone) still there")
            #expect(fm.fileExists(atPath: store + "/../s/store/" + gone), "\(gone) not in the salvage directory")
        }
        let summary = StoreVerifier(layout: try StoreLayout.discover(store, options: options)).run { _ in }
        #expect(summary.exitCode == 0)
    }

    /// recover stages only the queues it changes (`RecoveryPlan.untouchedQueues`). A queue with
    /// no unit to cut or add is still staged when recovery would change its bytes: non-zero
    /// bytes after its recovered end (zeroed, so that a later crash cannot revive them), or an
    /// extra file the broker's recovery deletes.
    @Test func queuesRecoveryWouldChangeAreNotLeftAlone() throws {
        let scenario = "rocketmq-4.9.8/crash_killed"
        let store = try RepairFixtures.copy(scenario)
        let options = try RepairFixtures.storeOptions(scenario)
        let layout = try StoreLayout.discover(store, options: options)
        let plain = try StoreRecoverer(layout: layout).plan()
        let untouched = plain.untouchedQueues.sorted()
        try #require(untouched.count >= 2, "the fixture has queues recover leaves alone: \(untouched)")
        for action in plain.queueActions where untouched.contains(action.topic + "/" + String(action.queueId)) {
            #expect(action.unitsCut == 0 && action.unitsAdded == 0 && action.rebuild == nil)
        }

        // Queue 1: a stale unit after its end, behind an invalid one (recovery stops there).
        let stale = try #require(layout.consumeQueues.first { $0.topic + "/" + String($0.queueId) == untouched[0] })
        let staleFile = try #require(stale.files.last)
        let maxOffset = try ConsumeQueueBounds.read(stale).maxOffset
        let units = Int(maxOffset - staleFile.fromOffset / 20)
        let handle = try #require(FileHandle(forUpdatingAtPath: staleFile.path))
        try handle.seek(toOffset: UInt64(units * 20))
        let invalid = Data(repeating: 0xFF, count: 20)  // offset -1: not a unit
        let unit: [UInt8] = [0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 64, 0, 0, 0, 0, 0, 0, 0, 7]
        let garbage = invalid + Data(unit)
        try handle.write(contentsOf: garbage)
        try handle.close()
        // Queue 2: an empty file after its last, which the broker's recovery deletes.
        let extra = try #require(layout.consumeQueues.first { $0.topic + "/" + String($0.queueId) == untouched[1] })
        let extraLast = try #require(extra.files.last)
        let extraName = SegmentFile.name(forOffset: extraLast.fromOffset + extraLast.size)
        let extraPath = extraLast.path.replacingOccurrences(of: extraLast.name, with: extraName)
        #expect(FileManager.default.createFile(atPath: extraPath, contents: Data(count: Int(extraLast.size))))

        let recoverer = StoreRecoverer(layout: try StoreLayout.discover(store, options: options), acceptLoss: true)
        let planned = try recoverer.plan()
        #expect(!planned.untouchedQueues.contains(untouched[0]), "stale bytes after the end")
        #expect(!planned.untouchedQueues.contains(untouched[1]), "a file recovery deletes")
        let result = try recoverer.apply(salvageDirectory: store + "/../salvage")
        try #require(result.journal != nil)
        let bytes = try #require(FileManager.default.contents(atPath: staleFile.path))
        #expect(bytes[(units * 20)...].allSatisfy { $0 == 0 }, "the stale unit is zeroed")
        #expect(!FileManager.default.fileExists(atPath: extraPath), "the extra file is gone (to the salvage directory)")
    }
}
