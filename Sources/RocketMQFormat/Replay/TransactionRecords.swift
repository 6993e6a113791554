// The records the broker's end-transaction path writes (FORMAT.md §13.2), and the legacy
// sysflag-model commit/rollback records a pre-4.3 producer sent (§13.1), built from the
// records they resolve. The commitlog assigns store timestamp, queue offset and physical offset.

public enum TransactionRecords {
    public static let halfTopic = "RMQ_SYS_TRANS_HALF_TOPIC"
    public static let opTopic = "RMQ_SYS_TRANS_OP_HALF_TOPIC"
    public static let checkMaxTimeTopic = "TRANS_CHECK_MAX_TIME_TOPIC"
    /// The consumer group the check service keeps its progress under in consumerOffset.json.
    public static let checkConsumerGroup = "CID_RMQ_SYS_TRANS"
    /// Tag of op records ("d": REMOVETAG).
    public static let opTag = "d"

    public enum BuildError: Error, Sendable, Equatable, CustomStringConvertible {
        case incomplete
        case missingProperty(String)
        public var description: String {
            switch self {
            case .incomplete: "record is incomplete"
            case .missingProperty(let name): "property \(name) missing or not valid"
            }
        }
    }

    /// `endMessageTransaction` + commit: the real message re-put from the half record. The stored
    /// property string is the half's full string (REAL_TOPIC, REAL_QID, TRAN_MSG still in it),
    /// sysflag gets transaction type COMMIT, and PREPARED TRANSACTION OFFSET = the half's offset.
    public static func commitRecord(fromHalf half: MessageRecordView) throws(BuildError) -> MessageRecord {
        guard var record = MessageRecord(half) else { throw .incomplete }
        guard let topic = half.property("REAL_TOPIC"), !topic.isEmpty else { throw .missingProperty("REAL_TOPIC") }
        guard let qid = half.property("REAL_QID").flatMap(JavaString.parseInt) else {
            throw .missingProperty("REAL_QID")
        }
        record.version = .v1
        record.topic = Array(topic.utf8)
        record.queueId = qid
        record.sysFlag = record.flags.with(transactionType: .commit).rawValue
        record.preparedTransactionOffset = half.physicalOffset
        record.queueOffset = 0
        record.physicalOffset = 0
        record.storeTimestamp = 0
        record.bodyCRC = CRC32.rocketMQ(record.body)
        return record
    }

    /// The op record ("d") that marks half queue offset `halfQueueOffset` resolved. The broker
    /// builds it with its own address as born and store host and the current time as born time;
    /// the stored properties are `WAIT=true`, `TAGS=d` (UNIQ_KEY is added after serialising).
    public static func opRecord(
        halfQueueOffset: Int64, halfQueueId: Int32, brokerHost: HostAddress, timestamp: Int64
    ) -> MessageRecord {
        var sysFlag = MessageSysFlag()
        if brokerHost.isIPv6 { sysFlag.formUnion([.bornHostV6, .storeHostV6]) }
        let properties = MessageProperties.encode([("WAIT", "true"), ("TAGS", opTag)])
        return MessageRecord(
            queueId: halfQueueId, sysFlag: sysFlag.rawValue, bornTimestamp: timestamp, bornHost: brokerHost,
            storeHost: brokerHost, body: Array(String(halfQueueOffset).utf8), topic: opTopic,
            properties: properties)
    }

    /// Half queue offsets named by an op record's body: one decimal (4.x) or a comma-joined list
    /// with a trailing comma (5.1+). Items that are not numbers are skipped.
    public static func opOffsets(body: UnsafeRawBufferPointer) -> [Int64] {
        var offsets: [Int64] = []
        var start = 0
        func take(_ end: Int) {
            if end > start, let value = JavaString.parseLong(String(decoding: body[start..<end], as: UTF8.self)) {
                offsets.append(value)
            }
        }
        for index in 0..<body.count where body[index] == UInt8(ascii: ",") {
            take(index)
            start = index + 1
        }
        take(body.count)
        return offsets
    }

    /// The legacy (sysflag model) end record for a PREPARED record: a COMMIT keeps the body, a
    /// ROLLBACK has an empty body; both drop TRAN_MSG from the properties (order otherwise kept)
    /// and point at the prepared record through PREPARED TRANSACTION OFFSET.
    public static func legacyEndRecord(forPrepared prepared: MessageRecordView, commit: Bool) throws(BuildError)
        -> MessageRecord
    {
        guard var record = MessageRecord(prepared) else { throw .incomplete }
        record.version = .v1
        record.sysFlag = record.flags.with(transactionType: commit ? .commit : .rollback).rawValue
        record.preparedTransactionOffset = prepared.physicalOffset
        if !commit { record.body = [] }
        record.properties = MessageProperties.removing("TRAN_MSG", from: record.properties)
        record.queueOffset = 0
        record.physicalOffset = 0
        record.storeTimestamp = 0
        record.bodyCRC = CRC32.rocketMQ(record.body)
        return record
    }
}
