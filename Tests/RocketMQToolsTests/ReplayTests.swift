import Foundation
import RocketMQFormat
import RocketMQStore
import RocketMQTools
import Testing
import TestSupport

/// The replay builders and scans against what RocketMQ 4.9.8 itself wrote: its schedule service's
/// deliveries in `delayed`, its end-transaction records and the legacy records in `transaction`.
@Suite struct ReplayTests {
    /// Every complete record of a fixture's commitlog, by physical offset.
    static func records(_ scenario: String) throws -> [Int64: MessageRecord] {
        var result: [Int64: MessageRecord] = [:]
        let layout = try StoreLayout.discover(Fixtures.store(scenario))
        try CommitLogWalker(layout: layout).walk { event in
            if case .message(_, let view) = event, view.check.success, let record = MessageRecord(view) {
                result[view.physicalOffset] = record
            }
            return .proceed
        }
        return result
    }

    /// Calls `body` with a decoded view of `record`.
    static func withView<T>(_ record: MessageRecord, _ body: (MessageRecordView) throws -> T) throws -> T {
        let bytes = try record.encode()
        return try bytes.withUnsafeBytes { raw in
            guard case .message(let view) = RecordDecoder.decode(raw, at: 0, options: .recovery) else {
                throw FormatError(structure: "test", field: "record", offset: 0, expected: "a record")
            }
            return try body(view)
        }
    }

    /// The fields the commitlog assigns at put time, cleared so that a built record compares
    /// with the one the broker stored.
    static func normalized(_ record: MessageRecord) -> MessageRecord {
        var copy = record
        copy.storeTimestamp = 0
        copy.queueOffset = 0
        copy.physicalOffset = 0
        return copy
    }

    static func scenarioCounters(_ scenario: String) throws -> [String: Int] {
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(Fixtures.root)/\(scenario)/scenario.json"))
        let json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        return (json["generatorCounters"] as! [String: Any]).mapValues { ($0 as! NSNumber).intValue }
    }

    @Test func scheduledDeliveryRebuildsWhatTheBrokerDelivered() throws {
        let records = try Self.records("rocketmq-4.9.8/delayed")
        let scheduled = records.values.filter { $0.topicString == ScheduledDelivery.scheduleTopic }
        let delivered = records.values.filter {
            $0.topicString != ScheduledDelivery.scheduleTopic && $0.propertyMap["REAL_TOPIC"] != nil
        }
        #expect(delivered.count == 20)
        for copy in delivered {
            let source = try #require(scheduled.first { $0.properties == copy.properties && $0.body == copy.body })
            let outcome = try Self.withView(source) { ScheduledDelivery.outcome(for: $0) }
            guard case .deliver(let built) = outcome else { Issue.record("\(outcome)"); continue }
            #expect(Self.normalized(built) == Self.normalized(copy))
            #expect(try built.encode().count == Int(copy.encodedLength))
        }
    }

    @Test func commitAndOpRecordsMatchTheEndTransactionPath() throws {
        let records = try Self.records("rocketmq-4.9.8/transaction")
        var commits = 0
        for record in records.values where record.flags.transactionType == .commit {
            guard let half = records[record.preparedTransactionOffset],
                  half.topicString == TransactionRecords.halfTopic else { continue }
            let built = try Self.withView(half) { try TransactionRecords.commitRecord(fromHalf: $0) }
            #expect(Self.normalized(built) == Self.normalized(record))
            commits += 1
        }
        #expect(commits > 0)
        let halvesByQueueOffset = Dictionary(
            records.values.filter { $0.topicString == TransactionRecords.halfTopic }.map { ($0.queueOffset, $0) },
            uniquingKeysWith: { a, _ in a })
        var ops = 0
        for op in records.values where op.topicString == TransactionRecords.opTopic {
            let offsets = op.body.withUnsafeBytes { TransactionRecords.opOffsets(body: $0) }
            #expect(offsets.count == 1)
            let half = try #require(halvesByQueueOffset[offsets[0]])
            var built = TransactionRecords.opRecord(
                halfQueueOffset: offsets[0], halfQueueId: half.queueId, brokerHost: op.storeHost,
                timestamp: op.bornTimestamp)
            built.storeTimestamp = op.storeTimestamp
            #expect(Self.normalized(built) == Self.normalized(op))
            ops += 1
        }
        #expect(ops > 0)
    }

    @Test func legacyEndRecordsMatchThePre43Producer() throws {
        let records = try Self.records("rocketmq-4.9.8/transaction")
        var checked = 0
        for record in records.values where record.flags.transactionType == .commit || record.flags.transactionType == .rollback {
            guard let prepared = records[record.preparedTransactionOffset],
                  prepared.flags.transactionType == .prepared else { continue }
            let commit = record.flags.transactionType == .commit
            let built = try Self.withView(prepared) { try TransactionRecords.legacyEndRecord(forPrepared: $0, commit: commit) }
            #expect(Self.normalized(built) == Self.normalized(record))
            checked += 1
        }
        #expect(checked == 9)  // 6 commits + 3 rollbacks (fixture README)
    }

    @Test func opOffsetsParseBothLayouts() {
        func parse(_ text: String) -> [Int64] { Array(text.utf8).withUnsafeBytes { TransactionRecords.opOffsets(body: $0) } }
        #expect(parse("17") == [17])
        #expect(parse("12,13,17,") == [12, 13, 17])
        #expect(parse(",x,5,,") == [5])
        #expect(parse("") == [])
    }

    @Test func removingAPropertyKeepsTheRestInOrder() {
        let input = MessageProperties.encode([("KEYS", "a b"), ("TRAN_MSG", "true"), ("TAGS", "t")])
        #expect(MessageProperties.removing("TRAN_MSG", from: input) == MessageProperties.encode([("KEYS", "a b"), ("TAGS", "t")]))
        let trailing = MessageProperties.encode([("TRAN_MSG", "true"), ("A", "1")], trailingSeparator: true)
        #expect(MessageProperties.removing("TRAN_MSG", from: trailing) == MessageProperties.encode([("A", "1")], trailingSeparator: true))
        #expect(MessageProperties.removing("X", from: []) == [])
    }

    @Test func delayedScanMatchesTheFixture() throws {
        let scenario = "rocketmq-4.9.8/delayed"
        let layout = try StoreLayout.discover(Fixtures.store(scenario))
        let counters = try Self.scenarioCounters(scenario)
        let records = try Self.records(scenario)
        let latest = records.values.map(\.storeTimestamp).max()!
        // Long after every delivery time: everything not yet delivered is due.
        let report = try DelayedScan.scan(layout, now: latest + 3 * 3_600_000)
        #expect(report.progressSource == "config/delayOffset.json")
        #expect(report.progress.offsetTable == [1: 20])
        for summary in report.levels {
            var expected = counters["delayed_level_\(summary.level)"] ?? 0
            if summary.level == 18 { expected += counters["delayed_level_25"] ?? 0 }  // clamped to the last level
            #expect(summary.messages == expected, "level \(summary.level)")
        }
        let level1 = try #require(report.levels.first { $0.level == 1 })
        #expect(level1.delivered == 20 && level1.due == 0 && level1.duplicateDeliveries == 0)
        for message in report.messages {
            let record = try #require(records[message.physicalOffset])
            #expect(message.realTopic == record.propertyMap["REAL_TOPIC"])
            if message.level == 1 {
                #expect(message.state == .delivered && message.copies.count == 1)
            } else {
                #expect(message.state == .due && message.copies.isEmpty)
            }
        }
        // At the last store time no delay of 5 s or more has run out: the undelivered ones wait; the expected delivery times are the
        // consume queue's tagsCode, as RocketMQ computed them.
        let early = try DelayedScan.scan(layout, now: latest)
        #expect(early.messages.filter { $0.state == .waiting }.count == report.messages.count - 20)
        let expectedUnits = try String(contentsOfFile: Fixtures.expected(scenario, "consumequeue.ndjson"), encoding: .utf8)
            .split(separator: "\n").compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .filter { ($0["topic"] as? String) == ScheduledDelivery.scheduleTopic && $0["tagsCode"] != nil }
        #expect(expectedUnits.count == report.messages.count)
        for unit in expectedUnits {
            let physicalOffset = (unit["commitLogOffset"] as! NSNumber).int64Value
            let message = try #require(report.messages.first { $0.physicalOffset == physicalOffset })
            #expect(message.deliverTimestamp == (unit["tagsCode"] as! NSNumber).int64Value)
        }
        // The progress after delivering every due message covers each level's queue.
        let after = report.progressAfterDelivering(Set(report.messages.map(\.physicalOffset)))
        for summary in report.levels { #expect(after.offsetTable[summary.level] == summary.maxQueueOffset) }
    }

    @Test func transactionScanClassifiesTheFixtureMix() throws {
        let scenario = "rocketmq-4.9.8/transaction"
        let records = try Self.records(scenario)
        let report = try TransactionScan.scan(try StoreLayout.discover(Fixtures.store(scenario)), now: 1_900_000_000_000)
        // Legacy: 12 prepared, 6 committed, 3 rolled back (fixture README), so 3 pending.
        #expect(report.count(.committed, model: "legacy") == 6)
        #expect(report.count(.rolledBack, model: "legacy") == 3)
        #expect(report.count(.pending, model: "legacy") == 3)
        // Half model: one transaction per UNIQ_KEY; every commit and every op names one.
        let halves = records.values.filter { $0.topicString == TransactionRecords.halfTopic }
        #expect(report.transactions.filter { $0.model == "half" }.count == Set(halves.map { $0.propertyMap["UNIQ_KEY"]! }).count)
        #expect(report.danglingOpOffsets.isEmpty && report.danglingCommits.isEmpty)
        let halfCommits = records.values.filter {
            $0.flags.transactionType == .commit && records[$0.preparedTransactionOffset]?.topicString == TransactionRecords.halfTopic
        }
        #expect(report.count(.committed, model: "half") == halfCommits.count)
        #expect(report.count(.rolledBack, model: "half") > 0 && report.count(.pending, model: "half") > 0)
        #expect(!report.transactions.contains { $0.opMissing })
        // Copies re-put by the checker carry TRANSACTION_CHECK_TIMES; renewals name their original.
        #expect(report.transactions.contains { $0.state == .pending && $0.checkCount > 0 && $0.halves.count > 1 })
        #expect(report.transactions.contains { $0.halves.contains { $0.preparedQueueOffset != nil } })
    }
}
