// (topic, queueId) as a dictionary key.

struct VerifyQueueKey: Hashable, Comparable, Sendable {
    var topic: String
    var queueId: Int32

    static func < (a: VerifyQueueKey, b: VerifyQueueKey) -> Bool { (a.topic, a.queueId) < (b.topic, b.queueId) }
}

/// What the log pass remembers per queue: O(1) per queue, whatever the number of records.
struct QueueRun: Sendable {
    var firstQueueOffset: Int64
    /// The queue offset the next record should carry.
    var nextQueueOffset: Int64
    var firstPhysicalOffset: Int64
    var lastPhysicalOffset: Int64
    var count: Int
    /// Sum of `UnitDigest.unit` over the run's records (wrapping).
    var digest: UInt64 = 0
    /// False when a record's unit cannot be predicted (inner batch): the queue is then
    /// checked unit by unit.
    var digestable = true
}
