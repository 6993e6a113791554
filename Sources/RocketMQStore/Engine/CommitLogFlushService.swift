// Async commitlog flushing (4.9.8 `FlushRealTimeService`, FORMAT.md §15): every
// `flushIntervalCommitLog` ms force the dirty pages if at least `flushCommitLogLeastPages` are
// dirty; every `flushCommitLogThoroughInterval` ms force everything and record the store time
// of the last appended record as `checkpoint.physicMsgTimestamp` (captured before the force).

import Synchronization

final class CommitLogFlushService: @unchecked Sendable {
    let commitLog: CommitLog
    let checkpoint: CheckpointFile
    private let running = Atomic<Bool>(false)
    private let signal = ConditionLock()
    private var thread: BackgroundThread?
    private var lastThorough: Int64 = 0

    init(commitLog: CommitLog, checkpoint: CheckpointFile) {
        self.commitLog = commitLog
        self.checkpoint = checkpoint
    }

    func start() {
        running.store(true, ordering: .releasing)
        let config = commitLog.config
        thread = BackgroundThread(name: "FlushRealTime") { [self] in
            while running.load(ordering: .acquiring) {
                signal.withLock { _ = signal.wait(milliseconds: config.flushIntervalCommitLog) }
                let now = ConditionLock.monotonicMillis()
                let thorough = now >= lastThorough + Int64(config.flushCommitLogThoroughInterval)
                if thorough { lastThorough = now }
                flush(leastPages: thorough ? 0 : config.flushCommitLogLeastPages, thorough: thorough)
            }
        }
    }

    /// Forces the commitlog; a thorough flush also advances physicMsgTimestamp.
    func flush(leastPages: Int, thorough: Bool) {
        let storeTimestamp = commitLog.lastStoreTimestamp
        // One call forces one file; continue across file boundaries while it makes progress.
        while !commitLog.queue.flush(leastPages: leastPages) {}
        if thorough && storeTimestamp > 0 { checkpoint.physicMsgTimestamp = storeTimestamp }
    }

    func shutdown() {
        running.store(false, ordering: .releasing)
        signal.withLock { signal.signal() }
        thread?.join()
        thread = nil
    }
}
