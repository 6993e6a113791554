// Identifies "the same message" across a re-put: the schedule service and the end-transaction
// path copy body, born fields, flag and the stored property string verbatim, so a delivered
// or committed copy carries the same fingerprint as its source. Used to find copies that were
// written without the progress file being advanced (a kill between the two, apache/rocketmq#3473).

import RocketMQFormat

struct RecordFingerprint: Hashable, Sendable {
    var propertiesHash: UInt64
    var bodyCRC: Int32
    var bornTimestamp: Int64
    var flag: Int32

    init(_ record: MessageRecordView) {
        // FNV-1a over the stored properties: they hold UNIQ_KEY, so collisions between
        // distinct messages with equal born time and body CRC are not a practical concern.
        var hasher = FNV1a()
        hasher.combine(record.propertiesBytes)
        propertiesHash = hasher.value
        bodyCRC = CRC32.rocketMQ(record.body)
        bornTimestamp = record.bornTimestamp
        flag = record.flag
    }
}
