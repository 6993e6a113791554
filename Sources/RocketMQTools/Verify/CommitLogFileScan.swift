// What the log pass learned from one commitlog file: kept small (per queue, not per record).

import RocketMQStore

/// A record (or a stretch of bytes) that fails its checks. Whether it is damage in the middle
/// of the log or a torn tail is decided once every file has been scanned.
struct PendingFailure: Sendable {
    var position: Int
    var physicalOffset: Int64
    var code: String
    var message: String
    var expected: String?
    var found: String?
    /// Where valid records resume in the same file (nil: nothing readable follows in this file).
    var resumesAt: Int?
}

struct CommitLogFileScan: Sendable {
    var file: SegmentFile
    var findings: [Finding] = []
    var failures: [PendingFailure] = []
    var records = 0
    var firstValidStart: Int64?
    var lastValidStart: Int64?
    /// Physical end of the last valid record in this file.
    var lastValidEnd: Int64?
    var blankPosition: Int?
    /// Position in the file where the readable data ends (the blank, or where the walk stopped).
    var dataEnd = 0
    var queueRuns: [VerifyQueueKey: QueueRun] = [:]
    /// The last record the index dispatcher would index that carries a UNIQ_KEY or KEYS.
    var lastKeyedOffset: Int64?
    /// Per index file (position in layout.indexFiles): the entries its interior should hold.
    var indexDigests: [IndexDigest] = []
    /// Keyed records inside the index's span that no index file covers: first offset, count.
    var unindexed: (first: Int64, count: Int)?
    var firstStoreTimestamp: Int64 = 0
    var lastStoreTimestamp: Int64 = 0
    /// Records whose UNIQ_KEY is not 32 or 56 hex digits (§18 item 12).
    var oddUniqueKeys: UniqueKeyFormat.Odd?
    /// Set when the file could not be read at all.
    var ioError: String?

    mutating func addUnindexed(_ other: (first: Int64, count: Int)?) {
        guard let other else { return }
        if let current = unindexed {
            unindexed = (min(current.first, other.first), current.count + other.count)
        } else {
            unindexed = other
        }
    }

    mutating func addOddUniqueKeys(_ other: UniqueKeyFormat.Odd?) {
        if oddUniqueKeys == nil { oddUniqueKeys = other } else { oddUniqueKeys!.add(other) }
    }

    mutating func addIndexDigests(_ other: [IndexDigest]) {
        if indexDigests.isEmpty { indexDigests = other; return }
        for i in other.indices { indexDigests[i].add(other[i]) }
    }

    var hasData: Bool { records > 0 || !failures.isEmpty || blankPosition != nil }
    var endedWithBlank: Bool { blankPosition != nil }
}
