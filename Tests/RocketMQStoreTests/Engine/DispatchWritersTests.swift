import Foundation
import RocketMQFormat
import RocketMQStore
import Testing
import TestSupport

/// The consume queue and index writers fed with a fixture's commitlog records, in order,
/// must rebuild what RocketMQ 4.9.8 itself wrote: CQ files byte for byte, and an index that
/// answers every recorded query with the same offsets in the same order.
@Suite struct DispatchWritersTests {
    static let cleanScenarios = [
        "rocketmq-4.9.8/basic", "rocketmq-4.9.8/ipv6_compressed_batch", "rocketmq-4.9.8/delayed",
        "rocketmq-4.9.8/transaction", "rocketmq-4.9.8/sync_flush", "rocketmq-4.9.8/corrupt_base",
    ]

    @Test(arguments: cleanScenarios)
    func rebuildsConsumeQueuesAndIndex(_ scenario: String) throws {
        let target = EngineTestSupport.temporaryDirectory("dispatch")
        defer { EngineTestSupport.remove(target) }
        let config = try EngineTestSupport.storeConfig(scenario)
        let dispatcher = StoreDispatcher(
            storeRoot: target, mappedFileSizeConsumeQueue: config["mappedFileSizeConsumeQueue"] as! Int,
            indexLayout: try EngineTestSupport.indexLayout(scenario))
        let layout = try StoreLayout.discover(Fixtures.store(scenario))
        var dispatched = 0
        try CommitLogWalker(layout: layout, checkOptions: .dispatch).walk { event in
            if case .message(_, let record) = event, record.check.success {
                try dispatcher.dispatch(record)
                dispatched += 1
            }
            return .proceed
        }
        dispatcher.flush(index: true)
        #expect(dispatched > 0)

        let expected = EngineTestSupport.consumeQueueFiles(Fixtures.store(scenario))
        let actual = EngineTestSupport.consumeQueueFiles(target)
        #expect(Set(actual.keys) == Set(expected.keys))
        for (path, bytes) in expected {
            #expect(actual[path] == bytes, "\(scenario): consumequeue/\(path) differs")
        }

        let queries = try EngineTestSupport.indexQueries(scenario)
        #expect(!queries.queries.isEmpty)
        for query in queries.queries {
            let offsets = dispatcher.index!.queryOffsets(
                topic: query.topic, key: query.key, maxNum: queries.maxNum, begin: queries.begin, end: queries.end)
            #expect(offsets == query.expected, "\(scenario): \(query.topic)#\(query.key)")
        }
        // Same number of index files as the broker made (rotation by entry count).
        #expect(dispatcher.index!.files.count == layout.indexFiles.count)
        dispatcher.shutdown()
    }
}
