// Consume queue flushing (4.9.8 `FlushConsumeQueueService`): every `flushIntervalConsumeQueue`
// ms force queues with ≥ `flushConsumeQueueLeastPages` dirty pages; every
// `flushConsumeQueueThoroughInterval` ms force all of them, then store the logicsMsgTimestamp
// snapshot taken before the force in the checkpoint and force the checkpoint.

import Synchronization

final class ConsumeQueueFlushService: @unchecked Sendable {
    let dispatcher: StoreDispatcher
    let checkpoint: CheckpointFile
    let config: MessageStoreConfig
    private let running = Atomic<Bool>(false)
    private let signal = ConditionLock()
    private var thread: BackgroundThread?
    private var lastThorough: Int64 = 0

    init(dispatcher: StoreDispatcher, checkpoint: CheckpointFile, config: MessageStoreConfig) {
        self.dispatcher = dispatcher
        self.checkpoint = checkpoint
        self.config = config
    }

    func start() {
        running.store(true, ordering: .releasing)
        thread = BackgroundThread(name: "FlushCQ") { [self] in
            while running.load(ordering: .acquiring) {
                signal.withLock { _ = signal.wait(milliseconds: config.flushIntervalConsumeQueue) }
                let now = ConditionLock.monotonicMillis()
                let thorough = now >= lastThorough + Int64(config.flushConsumeQueueThoroughInterval)
                if thorough { lastThorough = now }
                flush(thorough: thorough)
            }
        }
    }

    func flush(thorough: Bool) {
        let logics = dispatcher.logicsMsgTimestamp
        dispatcher.flush(leastPages: thorough ? 0 : config.flushConsumeQueueLeastPages)
        if thorough {
            if logics > 0 { checkpoint.logicsMsgTimestamp = logics }
            checkpoint.flush()
        }
    }

    func shutdown() {
        running.store(false, ordering: .releasing)
        signal.withLock { signal.signal() }
        thread?.join()
        thread = nil
    }
}
