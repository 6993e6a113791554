// What a RocketMQ broker will do with a store directory on its next start (FORMAT.md §11,
// §19), worked out without changing a byte: the report `rmqstore preview` prints.

import RocketMQFormat
import RocketMQStore

public struct StartupPreview: Sendable {
    public enum Mode: String, Sendable { case normal, abnormal }

    /// Which broker's rules were simulated.
    public var rules: StartupRules
    /// `abort` present (or forced): abnormal recovery.
    public var mode: Mode
    public var abortPresent: Bool
    /// nil when `DefaultMessageStore.load()` succeeds.
    public var loadFailure: LoadFailure?
    /// The checkpoint as loaded; nil when the file is missing (the broker creates a zero page).
    public var checkpoint: StoreCheckpoint?
    public var commitLog: CommitLogOutcome?
    public var consumeQueues: [QueueOutcome]
    public var index: IndexOutcome?
    /// `maxPhyOffsetOfConsumeQueue` after the CQ recovery (−1 when no queue has a unit).
    public var maxPhyOffsetOfConsumeQueue: Int64
    /// Where the first dispatch (`ReputMessageService`) starts after `start()`.
    public var reputFromOffset: Int64?
    /// Things an operator should know that are not failures (stray files skipped, …).
    public var notes: [String]

    public var loadSucceeded: Bool { loadFailure == nil }

    public struct LoadFailure: Sendable, Hashable {
        /// Store-relative path of the file that stops the load.
        public var path: String
        public var message: String
        /// The RocketMQ issue describing the blocker, when there is one.
        public var issue: String?
    }

    public struct CommitLogOutcome: Sendable, Hashable {
        /// The file the recovery scan starts from and why.
        public var startFile: String
        public var startFileReason: String
        /// Where recovery cuts the log (`processOffset`, the store's max physical offset).
        public var processOffset: Int64
        /// Why the scan stopped (a failing record, zeros, the last file's end).
        public var stopReason: String
        /// Store-relative file and byte position where the scan stopped.
        public var stopFile: String
        public var stopPosition: Int64
        /// Commitlog files `truncateDirtyFiles` deletes.
        public var deletedFiles: [String]
        /// Files kept, with the write position the broker sets (file size except the last).
        public var mappedFiles: [MappedFilePosition]
        /// Bytes of records beyond `processOffset` that are still present in the files (kept
        /// in the last file's tail and in the deleted files): what the cut throws away.
        public var bytesAfterCut: Int64
        public var minOffset: Int64
        /// Records dispatched to the queues and the index during (abnormal) recovery.
        public var recordsDispatchedDuringRecovery: Int
        /// Records the first dispatch after `start()` handles.
        public var recordsDispatchedAtStart: Int
    }

    public struct MappedFilePosition: Sendable, Hashable {
        public var file: String
        public var fromOffset: Int64
        public var wrotePosition: Int64
    }

    public struct QueueOutcome: Sendable, Hashable {
        public var topic: String
        public var queueId: Int32
        /// The queue's files before anything happens.
        public var filesBefore: Int
        /// nil for a queue that only the dispatch after start creates.
        public var afterLoad: QueueStateSnapshot?
        public var afterStart: QueueStateSnapshot
        /// Units cut by `truncateDirtyLogicFiles` (pointing at or past the cut).
        public var unitsTruncated: Int
        public var deletedFiles: [String]
        public var createdFiles: [String]
        /// Units written by dispatch during recovery and after start.
        public var unitsAdded: Int
        public var key: String { "\(topic)/\(queueId)" }
    }

    public struct IndexOutcome: Sendable, Hashable {
        /// Files deleted at load (abnormal exit: endTimestamp > checkpoint indexMsgTimestamp).
        public var deletedFiles: [String]
        /// Physical range whose index entries are lost for good (deleted and not re-dispatched).
        public var lostRange: Range<Int64>?
        /// Entries that will point past the cut (normal recovery never truncates the index).
        public var entriesPastCut: Int
        /// The physical offset from which the index is rebuilt by dispatch, when it is.
        public var rebuiltFrom: Int64?
    }
}

/// The broker whose start-up is simulated.
public enum StartupRules: String, Sendable, CaseIterable {
    /// Apache RocketMQ 4.9.8.
    case rocketMQ4 = "4.9.8"
    /// Apache RocketMQ 5.3.3 (file consume queues, non-controller mode).
    case rocketMQ5 = "5.3.3"
}

/// Broker settings the simulation needs, with RocketMQ's names and defaults.
public struct StartupPreviewOptions: Sendable {
    public var rules: StartupRules
    /// Simulate an abnormal start even without `abort` (what a crash right now would do).
    public var forceAbnormal: Bool
    public var checkCRCOnRecover: Bool
    public var messageIndexEnable: Bool
    public var messageIndexSafe: Bool

    public init(
        rules: StartupRules = .rocketMQ4, forceAbnormal: Bool = false, checkCRCOnRecover: Bool = true,
        messageIndexEnable: Bool = true, messageIndexSafe: Bool = false
    ) {
        self.rules = rules
        self.forceAbnormal = forceAbnormal
        self.checkCRCOnRecover = checkCRCOnRecover
        self.messageIndexEnable = messageIndexEnable
        self.messageIndexSafe = messageIndexSafe
    }
}
