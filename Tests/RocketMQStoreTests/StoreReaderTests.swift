import Foundation
import RocketMQFormat
import RocketMQStore
import Testing
import TestSupport

/// The read-only StoreReader against the engine: on every 4.9.8 fixture, the same sample of
/// get / lookup / offset-by-time / key-query calls must give identical answers (the engine
/// runs on a temp copy; the reader reads fixtures/ itself, which must not change).
@Suite(.serialized) struct StoreReaderTests {
    static let scenarios = Fixtures.all.filter { $0.hasPrefix("rocketmq-4.9.8/") }

    /// The reads both sides offer, so one transcript function drives either.
    struct Reads {
        var getMessage: (String, Int32, Int64, Int, Set<String>?) -> GetMessageResult
        var minOffset: (String, Int32) -> Int64
        var maxOffset: (String, Int32) -> Int64
        var offsetByTime: (Int64, String, Int32) -> Int64
        /// A one-line summary of the record at an offset ("nil" when none).
        var message: (Int64) -> String
        var queryOffsets: (String, String, Int, Int64, Int64) -> [Int64]
        var hasKey: (Int64, String) -> Bool
    }

    static func summary(_ found: (record: MessageRecordView, file: String, fileFromOffset: Int64)?) -> String {
        guard let found else { return "nil" }
        let record = found.record
        return "\(found.file)@\(found.fileFromOffset) \(record.offsetMessageId) \(record.topic)/\(record.queueId)#\(record.queueOffset) t=\(record.storeTimestamp)"
    }

    static func engineReads(_ store: MessageStore) -> Reads {
        Reads(
            getMessage: { store.getMessage(topic: $0, queueId: $1, offset: $2, maxCount: $3, tags: $4) },
            minOffset: { store.minOffsetInQueue(topic: $0, queueId: $1) },
            maxOffset: { store.maxOffsetInQueue(topic: $0, queueId: $1) },
            offsetByTime: { store.offsetInQueue(byTime: $0, topic: $1, queueId: $2) },
            message: { store.withMessage(at: $0, summary) },
            queryOffsets: { store.queryMessageOffsets(topic: $0, key: $1, maxNum: $2, begin: $3, end: $4) },
            hasKey: { offset, key in store.withMessage(at: offset) { $0?.record.hasKey(key) ?? false } })
    }

    static func readerReads(_ reader: StoreReader) -> Reads {
        Reads(
            getMessage: { reader.getMessage(topic: $0, queueId: $1, offset: $2, maxCount: $3, tags: $4) },
            minOffset: { reader.minOffsetInQueue(topic: $0, queueId: $1) },
            maxOffset: { reader.maxOffsetInQueue(topic: $0, queueId: $1) },
            offsetByTime: { reader.offsetInQueue(byTime: $0, topic: $1, queueId: $2) },
            message: { reader.withMessage(at: $0, summary) },
            queryOffsets: { (try? reader.queryMessageOffsets(topic: $0, key: $1, maxNum: $2, begin: $3, end: $4)) ?? [-1] },
            hasKey: { offset, key in reader.withMessage(at: offset) { $0?.record.hasKey(key) ?? false } })
    }

    /// Every sampled call and its answer, one line each.
    static func transcript(_ reads: Reads, queues: [(String, Int32)], keys: [(String, String)],
                           query: (maxNum: Int, begin: Int64, end: Int64)) -> [String] {
        var lines: [String] = []
        let tagSets: [Set<String>?] = [nil, ["TagA"], ["TagA", "TagB"], ["*"], ["no-such-tag"]]
        for (topic, queueId) in queues + [("NoSuchTopic", 0)] {
            let low = reads.minOffset(topic, queueId), high = reads.maxOffset(topic, queueId)
            lines.append("\(topic)/\(queueId) min \(low) max \(high)")
            let offsets = Set([0, low, low + 1, (low + high) / 2, high - 1, high, high + 3]).sorted()
            var times: Set<Int64> = [0, .max]
            for offset in offsets {
                for maxCount in [1, 7, 64] {
                    for tags in tagSets {
                        let result = reads.getMessage(topic, queueId, offset, maxCount, tags)
                        lines.append("get \(topic)/\(queueId) @\(offset) max \(maxCount) tags \(tags.map { $0.sorted() } ?? []) → \(result)")
                        guard maxCount == 7, tags == nil else { continue }
                        for message in result.messages {
                            let summary = reads.message(message.physicalOffset)
                            lines.append("  \(message.physicalOffset): \(summary)")
                            if let t = summary.split(separator: "t=").last.flatMap({ Int64($0) }) { times.formUnion([t - 1, t, t + 1]) }
                        }
                    }
                }
            }
            for time in times.sorted() {
                lines.append("byTime \(topic)/\(queueId) \(time) → \(reads.offsetByTime(time, topic, queueId))")
            }
        }
        for (topic, key) in keys {
            let offsets = reads.queryOffsets(topic, key, query.maxNum, query.begin, query.end)
            lines.append("query \(topic)#\(key) → \(offsets) keyed \(offsets.map { reads.hasKey($0, key) })")
            for offset in offsets.prefix(3) { lines.append("  \(offset): \(reads.message(offset)) / +1: \(reads.message(offset + 1))") }
        }
        return lines
    }

    /// SHA-256 of every file under `root`, by relative path.
    static func digests(_ root: String) -> [String: String] {
        var result: [String: String] = [:]
        guard let walker = FileManager.default.enumerator(atPath: root) else { return result }
        while let relative = walker.nextObject() as? String {
            var isDirectory: ObjCBool = false
            FileManager.default.fileExists(atPath: root + "/" + relative, isDirectory: &isDirectory)
            if isDirectory.boolValue { result[relative + "/"] = "dir"; continue }
            let bytes = [UInt8](FileManager.default.contents(atPath: root + "/" + relative) ?? Data())
            result[relative] = SHA256.hexDigest(bytes)
        }
        return result
    }

    /// expected/index.json → the queries RocketMQ answered after loading (none when it could not load).
    static func indexQueries(_ scenario: String) throws -> (keys: [(topic: String, key: String, expected: [Int64])], maxNum: Int, begin: Int64, end: Int64) {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.expected(scenario, "index.json")))
        let json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        guard let block = json["queriesAfterRecovery"] as? [String: Any], let queries = block["queries"] as? [[String: Any]],
              let maxNum = block["queryMaxNum"] as? NSNumber, let begin = block["queryBegin"] as? NSNumber,
              let end = block["queryEnd"] as? NSNumber else { return ([], 64, 0, .max) }
        let keys = queries.map { ($0["topic"] as! String, $0["key"] as! String, ($0["indexServiceQueryOffset"] as! [NSNumber]).map(\.int64Value)) }
        return (keys, maxNum.intValue, begin.int64Value, end.int64Value)
    }

    /// Fixtures a broker must repair on start (a planted corruption, or a crash's `abort`).
    static func needsRecovery(_ scenario: String) throws -> Bool {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.root + "/" + scenario + "/scenario.json"))
        let json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        return json["corruption"] != nil || FileManager.default.fileExists(atPath: Fixtures.store(scenario) + "/abort")
    }

    /// On a store the broker starts cleanly, the reader gives the engine's answers. On one it
    /// must repair, the reader shows the files as they are (the engine's answers come after
    /// its recovery) — but once the engine has recovered and closed the store, the reader
    /// gives the engine's answers there too.
    @Test(arguments: scenarios)
    func answersLikeTheEngine(_ scenario: String) throws {
        let fixture = Fixtures.store(scenario)
        let before = Self.digests(fixture)
        let reader = try StoreReader(fixture)
        let queues = reader.layout.consumeQueues.map { ($0.topic, $0.queueId) }
        let index = try Self.indexQueries(scenario)
        let keys = index.keys.map { ($0.topic, $0.key) } + [("TopicA", "no-such-key")]
        let query = (index.maxNum, index.begin, index.end)
        let fromReader = Self.transcript(Self.readerReads(reader), queues: queues, keys: keys, query: query)
        #expect(fromReader.count > 100)
        #expect(Self.digests(fixture) == before, "the reader changed \(scenario)")

        let copy = try RecoveryTests.copyStore(scenario, abort: false)
        defer { EngineTestSupport.remove(copy) }
        let fromEngine: [String]
        do {
            let store = try MessageStore.open(copy, config: try FixtureReplay.config(scenario))
            fromEngine = Self.transcript(Self.engineReads(store), queues: queues, keys: keys, query: query)
            try store.close()
        } catch {
            // RocketMQ cannot load it either (expected/recovery.json says so); the reader still reads.
            #expect(index.keys.isEmpty, "\(scenario): the engine failed: \(error)")
            return
        }
        if Self.damagedRecords.contains(scenario) {
            try checkDeviation(scenario, reader: reader, queues: queues)
            return
        }
        let recovered = try Self.needsRecovery(scenario)
        let compared = recovered
            ? Self.transcript(Self.readerReads(try StoreReader(copy)), queues: queues, keys: keys, query: query)
            : fromReader
        #expect(compared.count == fromEngine.count, "\(scenario)")
        let differences = zip(compared, fromEngine).filter { $0 != $1 }
        #expect(differences.isEmpty, "\(scenario) (recovered: \(recovered)): \(differences.count) of \(compared.count) answers differ; first: \(differences.prefix(3).map { "reader \($0.0) | engine \($0.1)" })")
    }

    /// Fixtures with records the engine's recovery cuts away (a torn tail, a consume queue
    /// pointing past the log) or reads without noticing (a flipped body byte: the engine's reads
    /// check no CRC). The engine cuts only its in-memory positions, so the files keep the stale
    /// units and the reader cannot give the engine's answers there.
    static let damagedRecords: Set<String> = [
        "rocketmq-4.9.8/corrupt_a_torn_tail_zeroed", "rocketmq-4.9.8/corrupt_b_crc_flip_middle",
        "rocketmq-4.9.8/corrupt_b2_crc_flip_last_file", "rocketmq-4.9.8/corrupt_c_cq_ahead_of_commitlog",
    ]

    /// On a damaged fixture, unit by unit: where the reader reads a record, it is the engine's
    /// answer, or (past the engine's cut) a unit pointing into the log tail the engine cut;
    /// everything else is reported unreadable with its file and reason.
    func checkDeviation(_ scenario: String, reader: StoreReader, queues: [(String, Int32)]) throws {
        let copy = try RecoveryTests.copyStore(scenario, abort: false)
        defer { EngineTestSupport.remove(copy) }
        let store = try MessageStore.open(copy, config: try FixtureReplay.config(scenario))
        defer { try? store.close() }
        let cut = store.commitLog.maxOffset
        var unreadable = 0, pastCut = 0, same = 0
        for (topic, queueId) in queues {
            let readerMax = reader.maxOffsetInQueue(topic: topic, queueId: queueId)
            let engineMax = store.maxOffsetInQueue(topic: topic, queueId: queueId)
            #expect(reader.minOffsetInQueue(topic: topic, queueId: queueId) == store.minOffsetInQueue(topic: topic, queueId: queueId))
            #expect(readerMax >= engineMax, "\(scenario) \(topic)/\(queueId)")
            for offset in 0..<max(readerMax, engineMax) {
                var problems: [UnreadableRecord] = []
                let fromReader = reader.getMessage(topic: topic, queueId: queueId, offset: offset, maxCount: 1) { problems.append($0) }
                if let problem = problems.first {
                    #expect(problem.queueOffset == offset && (problem.file != nil || problem.code == "record.no-file") && !problem.reason.isEmpty)
                    unreadable += 1
                } else if offset < engineMax {
                    let fromEngine = store.getMessage(topic: topic, queueId: queueId, offset: offset, maxCount: 1)
                    #expect(fromReader.messages == fromEngine.messages, "\(scenario) \(topic)/\(queueId)@\(offset)")
                    same += 1
                } else {
                    #expect(fromReader.messages.allSatisfy { $0.physicalOffset >= cut }, "\(scenario) \(topic)/\(queueId)@\(offset)")
                    pastCut += 1
                }
            }
        }
        #expect(unreadable + pastCut > 0, "\(scenario): the damage was not seen")
        #expect(same > 100)
    }

    /// Key queries answer exactly what RocketMQ's IndexService answered after loading the
    /// fixture (expected/index.json), read from the fixture's own index files.
    @Test(arguments: scenarios)
    func keyQueriesMatchRocketMQ(_ scenario: String) throws {
        let index = try Self.indexQueries(scenario)
        let reader = try StoreReader(Fixtures.store(scenario))
        var differing: [String] = []
        for query in index.keys {
            let offsets = try reader.queryMessageOffsets(topic: query.topic, key: query.key, maxNum: index.maxNum, begin: index.begin, end: index.end)
            if offsets != query.expected { differing.append("\(query.topic)#\(query.key): \(offsets) ≠ \(query.expected)") }
        }
        guard try Self.needsRecovery(scenario) else {
            #expect(differing.isEmpty, "\(scenario): \(differing.count) of \(index.keys.count); first \(differing.prefix(3))")
            return
        }
        // After a crash RocketMQ indexes the records it dispatches on start: the files on disk
        // hold a subset of its answers.
        for query in index.keys {
            let offsets = try reader.queryMessageOffsets(topic: query.topic, key: query.key, maxNum: index.maxNum, begin: index.begin, end: index.end)
            #expect(Set(offsets).isSubset(of: query.expected), "\(scenario) \(query.topic)#\(query.key)")
        }
    }
}
