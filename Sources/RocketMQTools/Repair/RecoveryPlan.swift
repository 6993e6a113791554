// What `rmqstore recover` will do to a store: worked out read-only, printed as the plan, and
// carried out by StoreRecoverer.apply.

import RocketMQFormat
import RocketMQStore

public struct RecoveryPlan: Sendable {
    public enum Verdict: String, Sendable {
        /// Nothing to do.
        case clean
        /// Changes pending (dry run) or applied.
        case repairable
        /// Valid records follow damage in the middle of the log: refused without --accept-loss.
        case midLogDamage = "mid-log-damage"
    }

    public struct QueueAction: Sendable, Hashable {
        public var topic: String
        public var queueId: Int32
        /// Units pointing at or past the new end that are cut.
        public var unitsCut: Int64
        /// Units the log has but the queue lacks, to be dispatched.
        public var unitsAdded: Int64
        public var maxOffsetBefore: Int64
        public var maxOffsetAfter: Int64
        /// Why the units before the end disagree with the log: the queue is then written anew
        /// from the log (StoreRebuilder's dispatch), nil when it is only cut/extended.
        public var rebuild: String? = nil
    }

    public var verdict: Verdict
    /// The new end of the log (one past the last valid record).
    public var endOffset: Int64
    public var endFile: String?
    public var endReason: String
    public var records: Int
    /// Store-relative actions on the commitlog, the blockers mended, config/checkpoint/abort.
    public var actions: [String]
    public var queueActions: [QueueAction]
    public var rebuildIndex: Bool
    public var indexReason: String?
    /// The index only has entries past the end, in its last file: they are cut in place
    /// (IndexTailCut) rather than the whole index rebuilt (the rebuild remains the fallback).
    public var indexCutOnly = false
    /// Non-zero bytes after the end that are cut (kept in the salvage directory).
    public var bytesCut: Int64
    public var recordsAfterEnd: Int
    public var firstValidAfterEnd: Int64?
    /// The commitlog changes (the consume queue and index changes are computed while applying).
    var commitLogChanges: [StoreChange]
    var metadataChanges: [StoreChange]
    var strayChanges: [StoreChange]
    /// Consume queue files (not zero-length) whose size is not mappedFileSizeConsumeQueue.
    var shortQueueFiles: [String: Int64]
    var zeroLengthQueueFiles: Set<String>
    /// Queues ("topic/queueId") that recovery leaves byte for byte as they are: no unit cut
    /// or added, not rebuilt, every file full size and kept, zeros after the recovered end. Not
    /// staged: copying a queue costs a new page per 4 KiB, however little changes.
    var untouchedQueues: Set<String> = []
    var lastStoreTimestamp: Int64
    var lastQueuedStoreTimestamp: Int64
    var queueFacts: [String: LogEndScan.QueueFacts]
    var queueNames: [String: (topic: String, queueId: Int32)]
    var checkpoint: StoreCheckpoint?
    var checkpointNeedsWrite: Bool

    public var hasChanges: Bool {
        !commitLogChanges.isEmpty || !metadataChanges.isEmpty || !strayChanges.isEmpty || rebuildIndex
            || queueActions.contains { $0.unitsCut > 0 || $0.unitsAdded > 0 || $0.rebuild != nil } || !shortQueueFiles.isEmpty
            || !zeroLengthQueueFiles.isEmpty || checkpointNeedsWrite
    }

    public var lines: [String] {
        var out: [String] = []
        out.append("end of valid data: \(endOffset) (\(records) records; \(endFile ?? "-"): \(endReason))")
        if verdict == .midLogDamage {
            out.append("DAMAGE IN THE MIDDLE OF THE LOG: \(recordsAfterEnd) valid record(s) after the end, the first at \(firstValidAfterEnd ?? -1)")
            out.append("recover stops here; run `rmqstore salvage STORE --output NEWSTORE` to keep them, or `recover --accept-loss` to cut at \(endOffset)")
        }
        out += actions
        for q in queueActions {
            if let reason = q.rebuild {
                out.append("consumequeue \(q.topic)/\(q.queueId): rebuild from the log (\(reason)); maxOffset \(q.maxOffsetBefore) → \(q.maxOffsetAfter), the old files go to the salvage directory")
                continue
            }
            guard q.unitsCut > 0 || q.unitsAdded > 0 else { continue }
            var parts: [String] = []
            if q.unitsCut > 0 { parts.append("cut \(q.unitsCut) unit(s) pointing at or past \(endOffset)") }
            if q.unitsAdded > 0 { parts.append("add \(q.unitsAdded) unit(s) the log has") }
            out.append("consumequeue \(q.topic)/\(q.queueId): " + parts.joined(separator: ", ") + " (maxOffset \(q.maxOffsetBefore) → \(q.maxOffsetAfter))")
        }
        if rebuildIndex && indexCutOnly {
            out.append("index: cut the entries pointing at or past \(endOffset) from a copy (\(indexReason ?? "")); the old files go to the salvage directory")
        } else if rebuildIndex {
            out.append("index: rebuild from the log (\(indexReason ?? "")); the old files go to the salvage directory")
        }
        if checkpointNeedsWrite { out.append("checkpoint: write physicMsgTimestamp/logicsMsgTimestamp of the last valid record") }
        return out
    }
}
