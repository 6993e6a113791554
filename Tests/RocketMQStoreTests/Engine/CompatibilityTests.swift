import Foundation
import RocketMQFormat
import RocketMQStore
import Testing
import TestSupport

/// The key proof: re-putting a fixture's messages, in order, with the same born fields and
/// store settings, gives the commitlog RocketMQ 4.9.8 wrote (byte for byte once each put gets
/// the fixture's store time; with the engine's own clock only STORETIMESTAMP differs), the
/// same consume queue files, and an index answering every recorded query identically.
@Suite(.serialized) struct CompatibilityTests {
    static let scenarios = ["rocketmq-4.9.8/basic", "rocketmq-4.9.8/ipv6_compressed_batch", "rocketmq-4.9.8/transaction"]

    /// Reads a file fully.
    static func contents(_ path: String) -> Data { FileManager.default.contents(atPath: path) ?? Data() }

    static func files(in directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }

    @Test(arguments: scenarios)
    func rePutReproducesTheFixture(_ scenario: String) throws {
        let target = EngineTestSupport.temporaryDirectory("compat")
        defer { EngineTestSupport.remove(target) }
        let puts = try FixtureReplay.puts(scenario)
        let store = try MessageStore.open(target, config: try FixtureReplay.config(scenario))
        var putCount = 0
        for put in puts {
            switch put {
            case .single(let record):
                let fixtureTime = record.storeTimestamp
                store.commitLog.clock = { fixtureTime }
                let result = store.putMessage(record)
                #expect(result.status == .putOK, "\(result.reason ?? "")")
                #expect(result.records.first?.physicalOffset == record.physicalOffset)
                #expect(result.records.first?.queueOffset == record.queueOffset)
                putCount += 1
            case .batch(let batch, let records):
                let fixtureTime = records[0].storeTimestamp
                store.commitLog.clock = { fixtureTime }
                let result = store.putMessages(batch)
                #expect(result.status == .putOK, "\(result.reason ?? "")")
                #expect(result.records.map(\.physicalOffset) == records.map(\.physicalOffset))
                #expect(result.records.map(\.queueOffset) == records.map(\.queueOffset))
                putCount += records.count
            }
        }
        #expect(store.waitForDispatch())
        // Index answers while open.
        let queries = try EngineTestSupport.indexQueries(scenario)
        for query in queries.queries {
            let offsets = store.dispatcher.index!.queryOffsets(
                topic: query.topic, key: query.key, maxNum: queries.maxNum, begin: queries.begin, end: queries.end)
            #expect(offsets == query.expected, "\(scenario): \(query.topic)#\(query.key)")
        }
        try store.close()
        #expect(!FileManager.default.fileExists(atPath: target + "/abort"))

        // commitlog: same files, same bytes.
        let fixture = Fixtures.store(scenario)
        #expect(Self.files(in: target + "/commitlog") == Self.files(in: fixture + "/commitlog"))
        for name in Self.files(in: fixture + "/commitlog") {
            #expect(Self.contents(target + "/commitlog/" + name) == Self.contents(fixture + "/commitlog/" + name),
                    "\(scenario): commitlog/\(name) differs")
        }
        // consume queues: identical.
        let expectedQueues = EngineTestSupport.consumeQueueFiles(fixture)
        let actualQueues = EngineTestSupport.consumeQueueFiles(target)
        #expect(Set(actualQueues.keys) == Set(expectedQueues.keys))
        for (path, bytes) in expectedQueues { #expect(actualQueues[path] == bytes, "\(scenario): consumequeue/\(path)") }
        // index: same contents file by file (names are creation times, so they differ).
        let ours = Self.files(in: target + "/index"), theirs = Self.files(in: fixture + "/index")
        #expect(ours.count == theirs.count)
        for (a, b) in zip(ours, theirs) {
            #expect(Self.contents(target + "/index/" + a) == Self.contents(fixture + "/index/" + b), "\(scenario): index \(b)")
        }

        // Reopen (normal recovery): same end offset, queries still answered, nothing re-dispatched.
        let reopened = try MessageStore.open(target)
        #expect(reopened.recovery.lastExitOK)
        #expect(reopened.config.mappedFileSizeCommitLog == 65536)
        #expect(reopened.config.maxHashSlotNum == 64 && reopened.config.maxIndexNum == 256)
        let lastRecord = try FixtureReplay.records(scenario).last!
        #expect(reopened.commitLog.maxOffset == lastRecord.physicalOffset + Int64(lastRecord.encodedLength))
        for query in queries.queries {
            let offsets = reopened.dispatcher.index!.queryOffsets(
                topic: query.topic, key: query.key, maxNum: queries.maxNum, begin: queries.begin, end: queries.end)
            #expect(offsets == query.expected)
        }
        try reopened.close()
        #expect(putCount > 100)
    }
}

/// The delay rewrite (§12.1) against the `delayed` fixture: every SCHEDULE_TOPIC_XXXX record
/// is put back as the message the producer sent (real topic and queue, REAL_TOPIC/REAL_QID
/// removed from the map), every other record verbatim without a delay (the schedule service's
/// deliveries); with the fixture's store times the commitlog and consume queues are identical.
@Suite struct DelayRewriteTests {
    @Test func rePutOfTheDelayedFixtureIsIdentical() throws {
        let scenario = "rocketmq-4.9.8/delayed"
        let target = EngineTestSupport.temporaryDirectory("delay")
        defer { EngineTestSupport.remove(target) }
        let store = try MessageStore.open(target, config: try FixtureReplay.config(scenario))
        var delayed = 0
        for record in try FixtureReplay.records(scenario) {
            let fixtureTime = record.storeTimestamp
            store.commitLog.clock = { fixtureTime }
            var message = record
            var level: Int32? = 0
            if record.topicString == DelayLevelTable.scheduleTopic {
                var map = JavaPropertyMap(parsing: record.properties)
                message.topic = Array(map["REAL_TOPIC"]!.utf8)
                message.queueId = Int32(map["REAL_QID"]!)!
                map["REAL_TOPIC"] = nil
                map["REAL_QID"] = nil
                message.properties = map.serialized()
                level = nil
                delayed += 1
            }
            let result = store.putMessage(message, delayLevel: level)
            #expect(result.status == .putOK)
            #expect(result.records.first?.physicalOffset == record.physicalOffset)
        }
        #expect(delayed > 50)
        try store.close()
        let fixture = Fixtures.store(scenario)
        for name in CompatibilityTests.files(in: fixture + "/commitlog") {
            #expect(CompatibilityTests.contents(target + "/commitlog/" + name) == CompatibilityTests.contents(fixture + "/commitlog/" + name),
                    "commitlog/\(name) differs")
        }
        let expectedQueues = EngineTestSupport.consumeQueueFiles(fixture)
        let actualQueues = EngineTestSupport.consumeQueueFiles(target)
        #expect(Set(actualQueues.keys) == Set(expectedQueues.keys))
        for (path, bytes) in expectedQueues { #expect(actualQueues[path] == bytes, "consumequeue/\(path)") }
    }
}
