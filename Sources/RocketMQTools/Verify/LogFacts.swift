// What the commitlog pass hands to the consume queue, index and metadata checks.

struct LogFacts {
    var map: CommitLogMap
    /// Per queue: first and next queue offset and physical range of its dispatchable records.
    var queues: [VerifyQueueKey: QueueRun]
    var lastKeyedOffset: Int64?
    /// Per index file: what its interior entries add up to according to the log (empty: none).
    var indexDigests: [IndexDigest]
    /// Keyed records between index files that no file covers (first offset, count).
    var unindexed: (first: Int64, count: Int)?
    var lastStoreTimestamp: Int64
    var records: Int
    var minOffset: Int64 { map.minOffset }
    /// End of the last valid record (0 when there is none).
    var endOffset: Int64 { map.endOffset }
}
