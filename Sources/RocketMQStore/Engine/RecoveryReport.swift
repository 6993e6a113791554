// What `MessageStore.open` found and did while recovering (FORMAT.md §11).

public struct RecoveryReport: Sendable, Hashable {
    /// No `abort` file: the last exit was clean and normal recovery ran.
    public var lastExitOK: Bool
    /// End of the last valid commitlog record (the commitlog was truncated there), nil when
    /// the store had no commitlog file.
    public var processOffset: Int64?
    /// Largest consume queue end before recovery (-1 when none).
    public var maxPhyOffsetOfConsumeQueue: Int64
    /// Records dispatched by abnormal recovery's rescan.
    public var redispatchedRecords: Int
    /// Where the dispatch catch-up started and ended.
    public var reputFromOffset: Int64
    public var reputToOffset: Int64
    /// Index files deleted because they were newer than the index checkpoint (abnormal exit).
    public var indexFilesDropped: Int
    public var milliseconds: Int64
    /// Time spent per phase: load (mapping files), recover (CQ + commitlog scan), dispatch
    /// (catch-up), in milliseconds.
    public var loadMilliseconds: Int64 = 0
    public var recoverMilliseconds: Int64 = 0
    public var dispatchMilliseconds: Int64 = 0
}
