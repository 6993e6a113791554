// The store settings the engine honours, with `MessageStoreConfig`'s names and 4.9.8 defaults.

import RocketMQFormat

public struct MessageStoreConfig: Sendable, Hashable {
    /// Bytes per commitlog file (1 GiB).
    public var mappedFileSizeCommitLog = 1024 * 1024 * 1024
    /// Bytes per consume queue file (300000 units of 20 bytes).
    public var mappedFileSizeConsumeQueue = 300_000 * 20
    public var maxHashSlotNum = 5_000_000
    public var maxIndexNum = 20_000_000
    public var maxMsgsNumBatch = 64
    public var messageIndexEnable = true
    /// Abnormal recovery starts from the index checkpoint too (§11.2).
    public var messageIndexSafe = false
    public var flushDiskType = FlushDiskType.asyncFlush
    public var messageDelayLevel = DelayLevelTable.defaultLevels
    /// Largest encoded record accepted, in bytes (4 MiB).
    public var maxMessageSize = 4 * 1024 * 1024
    /// Hours a commitlog file is kept after its last modification (§16).
    public var fileReservedTime = 72
    /// Hours of the day (`;`-separated) when expired files are deleted.
    public var deleteWhen = "04"
    public var checkCRCOnRecover = true
    /// Async flush: interval (ms), least dirty pages, and the interval of a full flush.
    public var flushIntervalCommitLog = 500
    public var flushCommitLogLeastPages = 4
    public var flushCommitLogThoroughInterval = 10_000
    public var flushIntervalConsumeQueue = 1000
    public var flushConsumeQueueLeastPages = 2
    public var flushConsumeQueueThoroughInterval = 60_000
    /// Sync flush: how long a put waits for its force (ms).
    public var syncFlushTimeout = 5000

    public init() {}

    public var indexLayout: IndexFileLayout? { IndexFileLayout(hashSlotNum: maxHashSlotNum, indexNum: maxIndexNum) }

    public var delayLevels: DelayLevelTable { DelayLevelTable(parsing: messageDelayLevel) ?? .default }

    /// The sizes an existing store was written with: file sizes from `StoreLayout.discover`
    /// (commitlog and consume queue), hash slots and entries from the index files (a full,
    /// non-last index file's indexCount is maxIndexNum; otherwise the configured layout when
    /// its size matches, else the N = 4·H heuristic). Settings with no file to tell keep
    /// their configured value.
    public func adopting(_ layout: StoreLayout) throws(StoreError) -> MessageStoreConfig {
        var config = self
        if !layout.commitLogFiles.isEmpty { config.mappedFileSizeCommitLog = Int(layout.commitLogFileSize) }
        if layout.consumeQueues.contains(where: { !$0.files.isEmpty }) {
            config.mappedFileSizeConsumeQueue = Int(layout.consumeQueueFileSize)
        }
        if let inferred = try layout.indexFileLayout(configured: indexLayout) {
            config.maxHashSlotNum = inferred.hashSlotNum
            config.maxIndexNum = inferred.indexNum
        }
        return config
    }
}
