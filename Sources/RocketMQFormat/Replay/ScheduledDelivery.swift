// The record RocketMQ's schedule service writes when a delayed message falls due
// (`ScheduleMessageService.messageTimeup`, FORMAT.md §12.2), built from the scheduled record.
//
// The broker copies body, flag, sysflag, born timestamp/host, store host and reconsume times,
// moves the message to REAL_TOPIC/REAL_QID, and serialises the property string from the map
// *before* it drops DELAY and sets WAIT=false: the stored string is the scheduled record's,
// byte for byte (DELAY, REAL_TOPIC and REAL_QID included). The commitlog assigns the store
// timestamp, queue offset and physical offset; prepared offset is 0; the body CRC is recomputed.

public enum ScheduledDelivery {
    public static let scheduleTopic = "SCHEDULE_TOPIC_XXXX"

    /// What the schedule service does with one scheduled record.
    public enum Outcome: Sendable, Equatable {
        /// Put this record (with `delayLevel` ignored: DELAY is gone from the in-memory map).
        case deliver(MessageRecord)
        /// The broker drops it: REAL_TOPIC is the transaction half topic.
        case discard(reason: String)
        /// The record lacks what delivery needs (REAL_TOPIC/REAL_QID missing or not a number).
        case invalid(reason: String)
    }

    /// The level of a record in SCHEDULE_TOPIC_XXXX: queueId + 1.
    public static func level(queueId: Int32) -> Int32 { queueId + 1 }

    public static func outcome(for scheduled: MessageRecordView) -> Outcome {
        guard let record = MessageRecord(scheduled) else { return .invalid(reason: "record is incomplete") }
        guard let realTopic = scheduled.property("REAL_TOPIC"), !realTopic.isEmpty else {
            return .invalid(reason: "no REAL_TOPIC property")
        }
        guard let qidText = scheduled.property("REAL_QID"), let realQueueId = JavaString.parseInt(qidText) else {
            return .invalid(reason: "REAL_QID missing or not an int")
        }
        if realTopic == TransactionRecords.halfTopic {
            return .discard(reason: "REAL_TOPIC is \(TransactionRecords.halfTopic)")
        }
        var delivered = record
        delivered.version = .v1
        delivered.topic = Array(realTopic.utf8)
        delivered.queueId = realQueueId
        delivered.queueOffset = 0
        delivered.physicalOffset = 0
        delivered.storeTimestamp = 0
        delivered.preparedTransactionOffset = 0
        delivered.bodyCRC = CRC32.rocketMQ(delivered.body)
        return .deliver(delivered)
    }
}
