// `stat`: per commitlog file and per topic/queue counts, kinds by sysflag, and consumer lag.

import RocketMQFormat
import RocketMQStore

public struct StoreStatistics: Sendable {
    public struct FileStatistics: Sendable {
        public var name: String
        public var fromOffset: Int64
        public var size: Int64
        public var messages = 0
        /// Bytes of records (TOTALSIZE sum).
        public var messageBytes: Int64 = 0
        /// Bytes covered by the end-of-file blank marker.
        public var blankBytes: Int64 = 0
        /// Where the data in the file ends (walk stop or blank position).
        public var dataEnd: Int64 = 0
        public var firstStoreTimestamp: Int64?
        public var lastStoreTimestamp: Int64?
        public var damagedRecords = 0
    }

    public struct QueueStatistics: Sendable {
        public var topic: String
        public var queueId: Int32
        public var messages = 0
        public var bytes: Int64 = 0
        public var minQueueOffset: Int64 = .max
        public var maxQueueOffset: Int64 = .min
        public var firstStoreTimestamp: Int64 = .max
        public var lastStoreTimestamp: Int64 = .min
    }

    /// Counts by sysflag kind.
    public struct Kinds: Sendable {
        public var compressed = 0
        public var multiTags = 0
        public var transactionNot = 0
        public var transactionPrepared = 0
        public var transactionCommit = 0
        public var transactionRollback = 0
        public var bornHostIPv6 = 0
        public var storeHostIPv6 = 0
        public var innerBatch = 0
        public var version2 = 0
    }

    public struct ConsumerLag: Sendable {
        public var group: String
        public var topic: String
        public var queueId: Int32
        public var consumerOffset: Int64
        /// Next queue offset to be written (the consume queue's max offset).
        public var maxOffset: Int64?
        public var lag: Int64? { maxOffset.map { max(0, $0 - consumerOffset) } }
    }

    public var files: [FileStatistics] = []
    public var queues: [QueueStatistics] = []
    public var kinds = Kinds()
    public var messages = 0
    public var messageBytes: Int64 = 0
    public var blankBytes: Int64 = 0
    public var consumerLag: [ConsumerLag] = []
    /// Problems met while gathering (an unreadable config file, …): not a verdict, see `verify`.
    public var notes: [String] = []

    /// Walks the store once and gathers the statistics.
    public static func gather(_ layout: StoreLayout) throws -> StoreStatistics {
        var stats = StoreStatistics()
        var queueIndex: [String: Int] = [:]
        var current: FileStatistics?
        let walker = CommitLogWalker(layout: layout, checkOptions: RecordCheckOptions(checkCRC: false, delayLevels: layout.options.delayLevels))
        try walker.walk { event in
            switch event {
            case .fileStart(let file):
                if let done = current { stats.files.append(done) }
                current = FileStatistics(name: file.name, fromOffset: file.fromOffset, size: file.size)
            case .message(_, let record):
                guard record.check.success else {
                    current?.damagedRecords += 1
                    return .proceed
                }
                let size = Int64(record.totalSize)
                current?.messages += 1
                current?.messageBytes += size
                current?.dataEnd = Int64(record.position) + size
                if current?.firstStoreTimestamp == nil { current?.firstStoreTimestamp = record.storeTimestamp }
                current?.lastStoreTimestamp = record.storeTimestamp
                stats.messages += 1
                stats.messageBytes += size
                stats.kinds.count(record)
                let key = QueueKey(topic: record.topicBytes, queueId: record.queueId)
                let index: Int
                if let existing = queueIndex[key.text] {
                    index = existing
                } else {
                    index = stats.queues.count
                    queueIndex[key.text] = index
                    stats.queues.append(QueueStatistics(topic: record.topic, queueId: record.queueId))
                }
                stats.queues[index].add(record)
            case .blank(_, let blank):
                current?.blankBytes += Int64(blank.bytesToFileEnd)
                current?.dataEnd = Int64(blank.position)
                stats.blankBytes += Int64(blank.bytesToFileEnd)
            case .stop(_, let stop):
                current?.dataEnd = Int64(stop.position)
            }
            return .proceed
        }
        if let done = current { stats.files.append(done) }
        stats.queues.sort { ($0.topic, $0.queueId) < ($1.topic, $1.queueId) }
        stats.consumerLag = try ConsumerLagReport.gather(layout, notes: &stats.notes)
        return stats
    }
}

struct QueueKey {
    let text: String
    init(topic: UnsafeRawBufferPointer, queueId: Int32) {
        text = String(decoding: topic, as: UTF8.self) + "\u{0}" + String(queueId)
    }
}

extension StoreStatistics.Kinds {
    mutating func count(_ record: MessageRecordView) {
        let flags = record.flags
        if flags.contains(.compressed) { compressed += 1 }
        if flags.contains(.multiTags) { multiTags += 1 }
        if flags.contains(.bornHostV6) { bornHostIPv6 += 1 }
        if flags.contains(.storeHostV6) { storeHostIPv6 += 1 }
        if flags.contains(.innerBatch) { innerBatch += 1 }
        if record.version == .v2 { version2 += 1 }
        switch flags.transactionType {
        case .notType: transactionNot += 1
        case .prepared: transactionPrepared += 1
        case .commit: transactionCommit += 1
        case .rollback: transactionRollback += 1
        }
    }
}

extension StoreStatistics.QueueStatistics {
    mutating func add(_ record: MessageRecordView) {
        messages += 1
        bytes += Int64(record.totalSize)
        // Prepared and rollback records carry queue offset 0 and take no place in the queue.
        if record.transactionType.isDispatchedToConsumeQueue {
            minQueueOffset = min(minQueueOffset, record.queueOffset)
            maxQueueOffset = max(maxQueueOffset, record.queueOffset)
        }
        firstStoreTimestamp = min(firstStoreTimestamp, record.storeTimestamp)
        lastStoreTimestamp = max(lastStoreTimestamp, record.storeTimestamp)
    }
}
