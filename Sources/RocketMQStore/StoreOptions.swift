// Settings a reader cannot always infer from the files, with RocketMQ's names and defaults.

import RocketMQFormat

public struct StoreOptions: Sendable {
    /// `mappedFileSizeCommitLog`; nil = infer from the files (default 1 GiB when nothing tells).
    public var mappedFileSizeCommitLog: Int64?
    /// `mappedFileSizeConsumeQueue` in bytes; nil = infer (default 300000 × 20).
    public var mappedFileSizeConsumeQueue: Int64?
    /// `maxHashSlotNum` / `maxIndexNum`; nil = infer from the index file size.
    public var maxHashSlotNum: Int?
    public var maxIndexNum: Int?
    /// `messageDelayLevel`.
    public var delayLevels: DelayLevelTable

    public static let defaultCommitLogFileSize: Int64 = 1024 * 1024 * 1024
    public static let defaultConsumeQueueFileSize: Int64 = 300_000 * 20

    public init(
        mappedFileSizeCommitLog: Int64? = nil, mappedFileSizeConsumeQueue: Int64? = nil,
        maxHashSlotNum: Int? = nil, maxIndexNum: Int? = nil, delayLevels: DelayLevelTable = .default
    ) {
        self.mappedFileSizeCommitLog = mappedFileSizeCommitLog
        self.mappedFileSizeConsumeQueue = mappedFileSizeConsumeQueue
        self.maxHashSlotNum = maxHashSlotNum
        self.maxIndexNum = maxIndexNum
        self.delayLevels = delayLevels
    }
}
