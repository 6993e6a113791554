import Foundation
import RocketMQFormat
import RocketMQStore
import TestSupport

/// The puts that produced a fixture's commitlog, reconstructed from its records: one put per
/// record, except runs of batch records (same store time, topic, queue, born fields, ending
/// with the batch's own `CLUSTER`/`WAIT` properties after the inner ones) which become one
/// batch put, as the fixture generator made them.
enum FixtureReplay {
    enum Put {
        case single(MessageRecord)
        case batch(MessageBatch, [MessageRecord])
    }

    static let batchSuffix = Array("\u{2}CLUSTER\u{1}DefaultCluster\u{2}WAIT\u{1}true".utf8)

    static func records(_ scenario: String) throws -> [MessageRecord] {
        let layout = try StoreLayout.discover(Fixtures.store(scenario))
        var records: [MessageRecord] = []
        try CommitLogWalker(layout: layout).walk { event in
            if case .message(_, let view) = event, view.check.success, let record = MessageRecord(view) {
                records.append(record)
            }
            return .proceed
        }
        return records
    }

    static func isBatchRecord(_ record: MessageRecord) -> Bool {
        let text = String(decoding: record.properties, as: UTF8.self)
        return record.properties.count > batchSuffix.count && record.properties.suffix(batchSuffix.count).elementsEqual(batchSuffix)
            && text.components(separatedBy: "WAIT\u{1}").count >= 3
    }

    static func puts(_ scenario: String) throws -> [Put] {
        let records = try records(scenario)
        var puts: [Put] = []
        var index = 0
        while index < records.count {
            let first = records[index]
            guard isBatchRecord(first) else {
                puts.append(.single(first))
                index += 1
                continue
            }
            var group = [first]
            var next = index + 1
            while next < records.count, isBatchRecord(records[next]),
                  records[next].storeTimestamp == first.storeTimestamp, records[next].topic == first.topic,
                  records[next].queueId == first.queueId, records[next].bornTimestamp == first.bornTimestamp,
                  records[next].bornHost == first.bornHost, records[next].queueOffset == group.last!.queueOffset + 1 {
                group.append(records[next])
                next += 1
            }
            let batchProperties = Array(batchSuffix.dropFirst())
            let items = group.map { record in
                MessageBatch.Item(flag: record.flag, body: record.body,
                                  properties: Array(record.properties.dropLast(batchSuffix.count)))
            }
            let batch = MessageBatch(
                topic: first.topicString, queueId: first.queueId, sysFlag: first.sysFlag,
                bornTimestamp: first.bornTimestamp, bornHost: first.bornHost, storeHost: first.storeHost,
                reconsumeTimes: first.reconsumeTimes, properties: batchProperties, items: items)
            puts.append(.batch(batch, group))
            index = next
        }
        return puts
    }

    /// The engine configuration of a scenario's scenario.json.
    static func config(_ scenario: String) throws -> MessageStoreConfig {
        let settings = try EngineTestSupport.storeConfig(scenario)
        var config = MessageStoreConfig()
        config.mappedFileSizeCommitLog = settings["mappedFileSizeCommitLog"] as! Int
        config.mappedFileSizeConsumeQueue = settings["mappedFileSizeConsumeQueue"] as! Int
        config.maxHashSlotNum = settings["maxHashSlotNum"] as! Int
        config.maxIndexNum = settings["maxIndexNum"] as! Int
        config.messageDelayLevel = settings["messageDelayLevel"] as! String
        config.maxMessageSize = settings["maxMessageSize"] as! Int
        config.flushDiskType = FlushDiskType(rawValue: settings["flushDiskType"] as! String)!
        return config
    }
}
