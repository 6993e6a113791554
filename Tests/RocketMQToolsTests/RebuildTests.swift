// rebuild: consume queues byte-identical to RocketMQ's, an index answering RocketMQ's queries,
// and undo restoring the store exactly.

import Foundation
import RocketMQFormat
import RocketMQStore
import RocketMQTools
import TestSupport
import Testing

@Suite struct RebuildTests {
    static let clean = [
        "rocketmq-4.9.8/basic", "rocketmq-4.9.8/ipv6_compressed_batch", "rocketmq-4.9.8/delayed",
        "rocketmq-4.9.8/transaction", "rocketmq-4.9.8/sync_flush", "rocketmq-4.9.8/corrupt_base",
        "rocketmq-5.3.3/v5_basic",
    ]

    @Test(arguments: clean)
    func rebuildReproducesConsumeQueuesAndUndoRestores(_ scenario: String) throws {
        let store = try RepairFixtures.copy(scenario)
        let before = RepairFixtures.files(store)
        let options = try RepairFixtures.storeOptions(scenario)
        let salvage = store + "/../salvage"
        let result = try StoreRebuilder(layout: StoreLayout.discover(store, options: options)).apply(salvageDirectory: salvage)
        // The new trees' digests, taken before the exchange (the index's while the queues were
        // flushed), are those of what is now in the store.
        for entry in result.journal.entries where entry.state == .done && entry.action != .remove {
            #expect(try ContentDigest.current(entry, root: store, version: result.journal.version) == entry.sha256After, "\(entry.path)")
        }
        let original = RepairFixtures.files(Fixtures.store(scenario), under: "consumequeue")
        let rebuilt = RepairFixtures.files(store, under: "consumequeue")
        #expect(Set(rebuilt.keys) == Set(original.keys))
        for (path, bytes) in original { #expect(rebuilt[path] == bytes, "consumequeue/\(path) differs") }
        try RepairFixtures.checkIndexAnswers(store: store, like: scenario, options: options)
        #expect(!FileSystem.exists(store + "/.rmqstore-staging-rebuild"))

        _ = try JournalUndo.undo(journalAt: salvage + "/journal.json")
        #expect(RepairFixtures.files(store) == before)
    }

    @Test(arguments: ["rocketmq-4.9.8/corrupt_d_cq_missing", "rocketmq-4.9.8/corrupt_e_index_missing"])
    func rebuildRestoresWhatWasDeleted(_ scenario: String) throws {
        let store = try RepairFixtures.copy(scenario)
        let options = try RepairFixtures.storeOptions(scenario)
        let rebuilder = StoreRebuilder(layout: try StoreLayout.discover(store, options: options))
        #expect(try !rebuilder.plan().queuesMatchLog || scenario.hasSuffix("index_missing"))
        _ = try rebuilder.apply(salvageDirectory: store + "/../salvage")
        let base = "rocketmq-4.9.8/corrupt_base"
        let original = RepairFixtures.files(Fixtures.store(base), under: "consumequeue")
        let rebuilt = RepairFixtures.files(store, under: "consumequeue")
        #expect(Set(rebuilt.keys) == Set(original.keys))
        for (path, bytes) in original { #expect(rebuilt[path] == bytes, "consumequeue/\(path) differs") }
        try RepairFixtures.checkIndexAnswers(store: store, like: base, options: options)
    }

    @Test func rebuildOneTopicLeavesTheOthers() throws {
        let scenario = "rocketmq-4.9.8/basic"
        let store = try RepairFixtures.copy(scenario)
        let options = try RepairFixtures.storeOptions(scenario)
        try FileManager.default.removeItem(atPath: store + "/consumequeue/TopicB")
        let before = RepairFixtures.files(store)
        _ = try StoreRebuilder(layout: StoreLayout.discover(store, options: options), topic: "TopicB").apply(salvageDirectory: store + "/../s")
        let after = RepairFixtures.files(store)
        let original = RepairFixtures.files(Fixtures.store(scenario))
        for (path, bytes) in after where path.hasPrefix("consumequeue/") { #expect(original[path] == bytes, "\(path)") }
        #expect(Set(after.keys.filter { $0.hasPrefix("consumequeue/") }) == Set(original.keys.filter { $0.hasPrefix("consumequeue/") }))
        for (path, bytes) in before where path.hasPrefix("index/") { #expect(after[path] == bytes) }
    }
}
