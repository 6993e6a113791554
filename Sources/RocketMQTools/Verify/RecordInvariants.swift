// Record invariants of FORMAT.md §18 that RocketMQ's recovery does not check, reported as info:
// they can legitimately fail after documented events (clock changes, 5.x duplication mode,
// other clients), and a repair tool has nothing to do about them.

import RocketMQFormat
import RocketMQStore

enum RecordInvariants {
    static let halfTopic = "RMQ_SYS_TRANS_HALF_TOPIC"

    /// §18 item 9: STORETIMESTAMP does not decrease in log order.
    static func storeTimeBackwards(file: SegmentFile, physical: Int64, storeTimestamp: Int64, previous: Int64) -> Finding {
        Finding(.info, "log.store-time-backwards", file: file.relativePath, position: physical - file.fromOffset,
                physicalOffset: physical, expected: ">= \(previous)", found: String(storeTimestamp),
                "STORETIMESTAMP is earlier than the previous record's (clock set back?)")
    }

    /// §18 item 10: a delayed record sits in queue DELAY − 1 and keeps REAL_TOPIC/REAL_QID; a
    /// half record sits in queue 0 with transaction bits clear and its REAL_*, TRAN_MSG, PGROUP.
    static func check(_ record: MessageRecordView, properties: DispatchProperties, file: SegmentFile, physical: Int64,
                      delayLevels: DelayLevelTable) -> Finding? {
        let topicLength = record.topicLength
        guard topicLength == 19 || topicLength == 24 else { return nil }
        func finding(_ code: String, expected: String, found: String, _ message: String) -> Finding {
            Finding(.info, code, file: file.relativePath, position: physical - file.fromOffset, physicalOffset: physical,
                    topic: record.topic, queueId: record.queueId, queueOffset: record.queueOffset,
                    expected: expected, found: found, message)
        }
        if record.isScheduleTopic {
            let delay = properties.delay.flatMap { JavaString.parseInt(String(decoding: $0, as: UTF8.self)) }
            if let delay, delay >= 1, record.queueId != min(delay, delayLevels.maxLevel) - 1 {
                return finding("record.delay-queue-mismatch", expected: String(min(delay, delayLevels.maxLevel) - 1),
                               found: String(record.queueId), "a delayed record's queueId is not DELAY − 1")
            }
            // Rare records (delayed or half): a parsed map is fine here.
            let map = record.properties
            let missing = ["REAL_TOPIC", "REAL_QID"].filter { map[$0] == nil }
            if delay == nil || !missing.isEmpty {
                return finding("record.delay-properties", expected: "DELAY, REAL_TOPIC, REAL_QID",
                               found: "missing " + ((delay == nil ? ["DELAY"] : []) + missing).joined(separator: ", "),
                               "a delayed record lacks the properties its delivery needs")
            }
            return nil
        }
        guard record.topicBytes.elementsEqual(halfTopic.utf8) else { return nil }
        if record.queueId != 0 || record.transactionType != .notType {
            return finding("record.half-message-fields", expected: "queueId 0, transaction type not",
                           found: "queueId \(record.queueId), transaction type \(record.transactionType.name)",
                           "a half (transaction) record must sit in queue 0 with its transaction bits clear")
        }
        let map = record.properties
        let missing = ["REAL_TOPIC", "REAL_QID", "TRAN_MSG", "PGROUP"].filter { map[$0] == nil }
        if !missing.isEmpty {
            return finding("record.half-message-fields", expected: "REAL_TOPIC, REAL_QID, TRAN_MSG, PGROUP",
                           found: "missing " + missing.joined(separator: ", "), "a half record lacks the properties its check needs")
        }
        return nil
    }
}
