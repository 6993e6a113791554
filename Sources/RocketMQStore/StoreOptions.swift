// Settings a reader cannot always infer from the files, with RocketMQ's names and defaults.

import RocketMQFormat

public struct StoreOptions: Sendable {
    /// `mappedFileSizeCommitLog`; nil = infer from the files (default 1 GiB when nothing tells).
    public var mappedFileSizeCommitLog: Int64?
    /// `mappedFileSizeConsumeQueue` in bytes; nil = infer (default 300000 × 20).
    public var mappedFileSizeConsumeQueue: Int64?
    /// `maxHashSlotNum` / `maxIndexNum`; nil = infer from the index files (entries, else size).
    public var maxHashSlotNum: Int?
    public var maxIndexNum: Int?
    /// `messageDelayLevel`. Unless `delayLevelsGiven`, discovery corrects the levels whose
    /// delays the store's schedule queues show to differ.
    public var delayLevels: DelayLevelTable
    /// The user gave `delayLevels` (`--delay-levels`): take it as it is.
    public var delayLevelsGiven: Bool

    public static let defaultCommitLogFileSize: Int64 = 1024 * 1024 * 1024
    public static let defaultConsumeQueueFileSize: Int64 = 300_000 * 20

    public init(
        mappedFileSizeCommitLog: Int64? = nil, mappedFileSizeConsumeQueue: Int64? = nil,
        maxHashSlotNum: Int? = nil, maxIndexNum: Int? = nil, delayLevels: DelayLevelTable? = nil
    ) {
        self.mappedFileSizeCommitLog = mappedFileSizeCommitLog
        self.mappedFileSizeConsumeQueue = mappedFileSizeConsumeQueue
        self.maxHashSlotNum = maxHashSlotNum
        self.maxIndexNum = maxIndexNum
        self.delayLevels = delayLevels ?? .default
        self.delayLevelsGiven = delayLevels != nil
    }
}
