// `flushDiskType`: when an appended record is forced to the device (FORMAT.md §15).

public enum FlushDiskType: String, Sendable, Hashable, CaseIterable {
    /// `ASYNC_FLUSH` (the default): a put returns once its bytes are in the page cache (they
    /// survive a crash of this process, not of the machine). A background thread forces the
    /// commitlog every `flushIntervalCommitLog` ms when ≥ `flushCommitLogLeastPages` pages are
    /// dirty, and everything every `flushCommitLogThoroughInterval` ms; on power loss the data
    /// since the last force (≥ 500 ms, up to ~10 s) can be lost or torn.
    case asyncFlush = "ASYNC_FLUSH"
    /// `SYNC_FLUSH`: a put returns PUT_OK only after every byte of its record (and all before
    /// it) was forced with msync(MS_SYNC), so it survives power loss. Concurrent putters share
    /// one force (group commit). If the force does not complete in `syncFlushTimeout` the put
    /// answers FLUSH_DISK_TIMEOUT: the record is appended but not known durable.
    case syncFlush = "SYNC_FLUSH"
}
