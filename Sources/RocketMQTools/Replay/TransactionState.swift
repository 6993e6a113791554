// One transaction as `replay transactions` lists it: a half message (with the copies the check
// service wrote back) in the half/op model, or a legacy PREPARED record in the sysflag model.

public struct TransactionState: Sendable {
    public enum State: String, Sendable {
        case committed
        case rolledBack
        case pending
        /// The check service gave up (TRANS_CHECK_MAX_TIME_TOPIC holds a copy) and moved on.
        case discarded
    }

    public struct HalfCopy: Sendable, Equatable {
        public var queueOffset: Int64
        public var physicalOffset: Int64
        public var storeTimestamp: Int64
        /// TRAN_PREPARED_QUEUE_OFFSET: the offset an immunity copy renews.
        public var preparedQueueOffset: Int64?
        public var checkTimes: Int32
    }

    /// `half` for the half/op model, `legacy` for a PREPARED record in its real topic.
    public var model: String
    public var state: State
    /// UNIQ_KEY, the transaction id (nil when the records carry none).
    public var uniqKey: String?
    public var producerGroup: String?
    public var realTopic: String?
    public var realQueueId: Int32?
    /// The half queue's id (0: the broker keeps one half queue); the legacy record's own queue.
    public var halfQueueId: Int32 = 0
    public var bornTimestamp: Int64
    /// now − bornTimestamp, in ms.
    public var ageMillis: Int64
    /// TRANSACTION_CHECK_TIMES of the latest copy: how often the broker asked the producer.
    public var checkCount: Int32
    /// The half copies in queue order (legacy: the prepared record alone, queue offset 0).
    public var halves: [HalfCopy]
    /// The commit record's physical offset (committed transactions).
    public var commitPhysicalOffset: Int64?
    /// The op record ("d") or legacy rollback record that resolved it.
    public var resolvedBy: Int64?
    /// Committed but no op marker: the end-transaction path was cut after the commit put.
    public var opMissing: Bool = false

    /// The half copy an end-transaction request names (the broker checks the first copy's offsets).
    public var primary: HalfCopy { halves[0] }
}
