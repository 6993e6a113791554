import Foundation
import RocketMQFormat
import RocketMQStore
import Testing
import TestSupport

/// Engine reads on a copy of the `basic` fixture, checked against RocketMQ's own decoding
/// (expected/consumequeue.ndjson, messages.ndjson).
@Suite(.serialized) struct ReadTests {
    struct Unit { var queueOffset: Int64; var commitLogOffset: Int64; var tagsCode: Int64 }

    static func units(topic: String, queueId: Int) throws -> [Unit] {
        let text = try String(contentsOfFile: Fixtures.expected("rocketmq-4.9.8/basic", "consumequeue.ndjson"), encoding: .utf8)
        return text.split(separator: "\n").compactMap { line in
            let json = try! JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            guard json["type"] as? String == "unit", json["topic"] as? String == topic, json["queueId"] as? Int == queueId else { return nil }
            return Unit(queueOffset: (json["queueOffset"] as! NSNumber).int64Value,
                        commitLogOffset: (json["commitLogOffset"] as! NSNumber).int64Value,
                        tagsCode: (json["tagsCode"] as! NSNumber).int64Value)
        }
    }

    @Test func getMessageQueryAndOffsets() throws {
        let scenario = "rocketmq-4.9.8/basic"
        let target = try RecoveryTests.copyStore(scenario, abort: false)
        defer { EngineTestSupport.remove(target) }
        let store = try MessageStore.open(target, config: try FixtureReplay.config(scenario))
        defer { try? store.close() }
        let expected = try Self.units(topic: "TopicA", queueId: 0)
        #expect(!expected.isEmpty)

        // Whole queue, in pages of 7.
        var offset: Int64 = 0
        var seen: [Int64] = []
        while true {
            let page = store.getMessage(topic: "TopicA", queueId: 0, offset: offset, maxCount: 7)
            if page.status == .offsetOverflowOne { break }
            #expect(page.status == .found)
            seen += page.messages.map(\.physicalOffset)
            offset = page.nextBeginOffset
        }
        #expect(seen == expected.map(\.commitLogOffset))
        #expect(store.maxOffsetInQueue(topic: "TopicA", queueId: 0) == Int64(expected.count))
        #expect(store.getMessage(topic: "TopicA", queueId: 0, offset: Int64(expected.count) + 5, maxCount: 1).status == .offsetOverflowBadly)
        #expect(store.getMessage(topic: "NoSuchTopic", queueId: 0, offset: 0, maxCount: 1).status == .noMatchedLogicQueue)

        // Tag filter: exactly the units whose tagsCode is hash("TagA") and whose TAGS is TagA.
        let tagA = Int64(JavaString.hashCode("TagA"))
        let tagged = store.getMessage(topic: "TopicA", queueId: 0, offset: 0, maxCount: 10_000, tags: ["TagA"])
        let expectedTagged = expected.filter { $0.tagsCode == tagA }.map(\.commitLogOffset)
        #expect(!expectedTagged.isEmpty)
        #expect(tagged.messages.map(\.physicalOffset) == expectedTagged)

        // lookMessageByOffset and the offset msgId.
        let first = expected[0]
        let id = try #require(store.withMessage(at: first.commitLogOffset) { $0?.record.offsetMessageId })
        #expect(MessageStore.physicalOffset(ofMessageId: id) == first.commitLogOffset)
        #expect(store.withMessage(at: first.commitLogOffset + 1) { $0 == nil })

        // Offset by store time: the unit at that offset is the first stored at or after it.
        let middle = expected[expected.count / 2]
        let time = try #require(store.withMessage(at: middle.commitLogOffset) { $0?.record.storeTimestamp })
        let found = store.offsetInQueue(byTime: time, topic: "TopicA", queueId: 0)
        #expect(found <= middle.queueOffset)
        let foundTime = store.withMessage(at: expected[Int(found)].commitLogOffset) { $0?.record.storeTimestamp }
        #expect(foundTime == time)

        // Query by key, as the index answers it (hash collisions filtered by the caller).
        let offsets = store.queryMessageOffsets(topic: "TopicB", key: "hot-key")
        #expect(!offsets.isEmpty)
        for offset in offsets {
            #expect(store.withMessage(at: offset) { $0.map { MessageStore.recordHasKey($0.record, "hot-key") } } == true)
        }
    }

    @Test func deletesExpiredFilesButNeverTheLast() throws {
        let scenario = "rocketmq-4.9.8/basic"
        let target = try RecoveryTests.copyStore(scenario, abort: false)
        defer { EngineTestSupport.remove(target) }
        let store = try MessageStore.open(target, config: try FixtureReplay.config(scenario))
        let files = store.commitLog.queue.mappedFiles.count
        // 72 h after "now" every file is expired: at most 10 per run, never the last.
        let removed = store.deleteExpiredFiles(now: IndexWriter.currentTimeMillis() + 73 * 3_600_000)
        #expect(removed.count == 10)
        #expect(store.commitLog.queue.mappedFiles.count == files - 10)
        let minOffset = store.commitLog.minOffset
        #expect(minOffset == 10 * 65536)
        // Queues now start at their first unit at or past the commitlog's min offset.
        let queueMin = store.minOffsetInQueue(topic: "TopicA", queueId: 0)
        let first = try #require(store.getMessage(topic: "TopicA", queueId: 0, offset: queueMin, maxCount: 1).messages.first)
        #expect(first.physicalOffset >= minOffset)
        try store.close()
    }
}
