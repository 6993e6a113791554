// Sync flush (4.9.8 `GroupCommitService`, FORMAT.md §15): a putter, after appending outside
// this service, asks for the commitlog to be forced up to the end of its record and waits.
// One flusher thread forces on behalf of every putter waiting at that moment (group commit),
// then wakes them all; a putter whose target is not reached within `syncFlushTimeout` gets
// FLUSH_DISK_TIMEOUT. Each force also records physicMsgTimestamp.

import Synchronization

final class GroupCommitService: @unchecked Sendable {
    let commitLog: CommitLog
    let checkpoint: CheckpointFile
    private let state = ConditionLock()   // guards requested/flushed/running; putters wait on it
    private let work = ConditionLock()    // the flusher waits on it
    private var requested: Int64 = 0
    private var flushed: Int64 = 0
    private var running = false
    private var thread: BackgroundThread?

    init(commitLog: CommitLog, checkpoint: CheckpointFile) {
        self.commitLog = commitLog
        self.checkpoint = checkpoint
    }

    func start() {
        state.withLock {
            running = true
            flushed = commitLog.queue.flushedWhere
        }
        thread = BackgroundThread(name: "GroupCommit") { [self] in
            while true {
                var target: Int64 = 0
                var alive = true
                work.withLock {
                    let pending = state.withLock { requested > flushed }
                    if !pending { _ = work.wait(milliseconds: 10) }
                }
                state.withLock {
                    target = requested
                    alive = running
                }
                if target > state.withLock({ flushed }) || !alive {
                    let storeTimestamp = commitLog.lastStoreTimestamp
                    while !commitLog.queue.flush(leastPages: 0) {}
                    if storeTimestamp > 0 { checkpoint.physicMsgTimestamp = storeTimestamp }
                    let reached = commitLog.queue.flushedWhere
                    state.withLock {
                        flushed = max(flushed, reached)
                        state.broadcast()
                    }
                }
                if !alive { return }
            }
        }
    }

    /// Blocks until the commitlog is forced up to `offset`; false on timeout.
    func waitForFlush(upTo offset: Int64, timeoutMillis: Int) -> Bool {
        let deadline = ConditionLock.monotonicMillis() + Int64(timeoutMillis)
        state.lock()
        defer { state.unlock() }
        if offset > requested { requested = offset }
        work.withLock { work.signal() }
        while flushed < offset {
            guard running else { return false }
            let left = deadline - ConditionLock.monotonicMillis()
            if left <= 0 { return false }
            _ = state.wait(milliseconds: Int(min(left, 100)))
        }
        return true
    }

    func shutdown() {
        state.withLock {
            running = false
            state.broadcast()
        }
        work.withLock { work.signal() }
        thread?.join()
        thread = nil
    }
}
