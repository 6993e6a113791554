// One record `replay --apply` wrote, for its NDJSON report.

public struct ReplayedRecord: Sendable {
    /// `delivery`, `commit`, `op`, `legacyCommit` or `legacyRollback`.
    public var kind: String
    /// The record it was built from (scheduled, half or prepared record).
    public var sourcePhysicalOffset: Int64
    public var physicalOffset: Int64
    public var queueOffset: Int64
    public var topic: String
    public var queueId: Int32
    public var offsetMessageId: String
}
