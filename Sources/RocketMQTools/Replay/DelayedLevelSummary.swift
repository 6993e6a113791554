// Per-level totals of `replay delayed`, with the progress the broker recorded.

public struct DelayedLevelSummary: Sendable, Equatable {
    public var level: Int32
    /// The level's delay in milliseconds (nil for a level beyond messageDelayLevel).
    public var delayMillis: Int64?
    /// offsetTable[level] from delayOffset.json: the next consume queue offset to examine.
    public var progress: Int64?
    /// One past the highest queue offset found in the level's queue (0 when empty).
    public var maxQueueOffset: Int64 = 0
    public var messages = 0
    public var delivered = 0
    public var deliveredUnrecorded = 0
    public var due = 0
    public var waiting = 0
    public var discarded = 0
    public var invalid = 0
    /// Messages delivered more than once (copies found in the real topic beyond the first).
    public var duplicateDeliveries = 0
}
