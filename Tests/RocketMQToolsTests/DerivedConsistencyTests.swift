// recover's checks of the consume queues and index before the end of the log: silent on every
// store RocketMQ wrote (no false rebuild, no false header damage), and each digest sees a
// single changed unit or entry.

import Foundation
import RocketMQFormat
import RocketMQStore
@testable import RocketMQTools
import TestSupport
import Testing

@Suite struct DerivedConsistencyTests {
    static func layout(_ scenario: String, root: String? = nil) throws -> StoreLayout {
        let options = (try? RepairFixtures.storeOptions(scenario)) ?? StoreOptions()
        return try StoreLayout.discover(root ?? Fixtures.store(scenario), options: options)
    }

    /// Every fixture as the real broker left it (the corrupt ones too: their damage is at the
    /// end of the log, or in files the broker's own recovery handles).
    @Test(arguments: Fixtures.all)
    func realStoresAgreeWithTheirLog(_ scenario: String) throws {
        let layout = try Self.layout(scenario)
        let plan = try StoreRecoverer(layout: layout).plan()
        let rebuilt = plan.queueActions.filter { $0.rebuild != nil }
        #expect(rebuilt.isEmpty, "\(rebuilt.map { "\($0.topic)/\($0.queueId): \($0.rebuild!)" })")
        #expect(!plan.endReason.contains("header damage"), "\(plan.endReason)")
        #expect(try DerivedConsistency.indexStructureProblem(layout) == nil)
    }

    /// One unit's tagsCode changed in a queue file of sync_flush: that queue, and only it, is
    /// planned for a rebuild.
    @Test func aChangedTagsCodeRebuildsOnlyItsQueue() throws {
        let scenario = "rocketmq-4.9.8/sync_flush"
        let store = try RepairFixtures.copy(scenario)
        defer { try? FileManager.default.removeItem(atPath: store + "/..") }
        let path = store + "/consumequeue/TopicB/1/00000000000000000000"
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[2 * 20 + 19] ^= 0x01  // unit 2, last byte of tagsCode
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let plan = try StoreRecoverer(layout: Self.layout(scenario, root: store)).plan()
        let rebuilt = plan.queueActions.filter { $0.rebuild != nil }.map { "\($0.topic)/\($0.queueId)" }
        #expect(rebuilt == ["TopicB/1"])
        #expect(plan.verdict == .repairable)
        #expect(!plan.rebuildIndex)
    }

    /// One interior index entry's timeDiff changed: the chains still hold, the content check sees it.
    @Test func aChangedIndexTimeDiffRebuildsTheIndex() throws {
        let scenario = "rocketmq-4.9.8/sync_flush"
        let store = try RepairFixtures.copy(scenario)
        defer { try? FileManager.default.removeItem(atPath: store + "/..") }
        let layout = try Self.layout(scenario, root: store)
        let file = try #require(layout.indexFiles.dropFirst().first)
        let indexLayout = try #require(IndexFileLayout.infer(fileSize: Int(file.size)))
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file.path)))
        let count = Int(bytes[36]) << 24 | Int(bytes[37]) << 16 | Int(bytes[38]) << 8 | Int(bytes[39])
        bytes[indexLayout.entryPosition(count / 2) + 15] ^= 0x01  // low byte of timeDiff
        try Data(bytes).write(to: URL(fileURLWithPath: file.path))
        #expect(try DerivedConsistency.indexStructureProblem(layout) == nil)
        let plan = try StoreRecoverer(layout: layout).plan()
        #expect(plan.rebuildIndex && !plan.indexCutOnly)
        #expect(plan.indexReason?.hasPrefix(file.relativePath) == true, "\(plan.indexReason ?? "-")")
    }
}
