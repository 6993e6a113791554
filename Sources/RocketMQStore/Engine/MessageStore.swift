// The store engine: the Swift counterpart of RocketMQ 4.9.8's `DefaultMessageStore`.
//
// `open` takes the store's `lock` (a broker or another writer gets "store in use"), loads the
// commitlog, consume queues, checkpoint and index, recovers (normally, or abnormally when
// `abort` exists: FORMAT.md §11), dispatches whatever the consume queues and index miss, starts
// the flush and dispatch services and creates `abort`. `close` stops them, flushes everything,
// writes the checkpoint, removes `abort` and releases the lock.
//
// Durability per `flushDiskType` (see `FlushDiskType`): ASYNC — a PUT_OK record is in the page
// cache (survives a crash of this process; on power loss everything since the last background
// force may be lost). SYNC — a PUT_OK record and everything before it was forced with msync.
// Consume queues and index are derived data, rebuilt from the commitlog by recovery.
//
// Thread safety: puts may come from any number of threads (appends are serialized by the
// commitlog's put lock); reads may run concurrently with puts.

import RocketMQFormat

public final class MessageStore: @unchecked Sendable {
    public let root: String
    /// The effective settings (sizes adopted from existing files).
    public let config: MessageStoreConfig
    public let commitLog: CommitLog
    public let dispatcher: StoreDispatcher
    public let checkpoint: CheckpointFile
    public let reput: ReputService
    public internal(set) var recovery: RecoveryReport
    private let lock: HeldStoreLock
    private var commitLogFlush: CommitLogFlushService?
    private var groupCommit: GroupCommitService?
    private var consumeQueueFlush: ConsumeQueueFlushService?
    private var closed = false

    public var abortPath: String { root + "/abort" }

    /// Opens (creating if needed) the store at `root`. Sizes of an existing store come from
    /// its files (`MessageStoreConfig.adopting`); `config` supplies them for a new store and
    /// every other setting. Throws `.locked` when the store is in use.
    public static func open(_ root: String, config: MessageStoreConfig = MessageStoreConfig()) throws(StoreError) -> MessageStore {
        try MessageStore(root: root, config: config)
    }

    private init(root rawRoot: String, config requested: MessageStoreConfig) throws(StoreError) {
        let started = ConditionLock.monotonicMillis()
        var root = rawRoot
        while root.count > 1 && root.hasSuffix("/") { root.removeLast() }
        self.root = root
        try FileSystem.makeDirectories(root)
        lock = try HeldStoreLock(storeAt: root)
        var config = requested
        if FileSystem.isDirectory(root + "/commitlog") {
            config = try requested.adopting(StoreLayout.discover(root))
        }
        guard config.indexLayout != nil || !config.messageIndexEnable else {
            throw StoreError(.usage, path: root, "invalid index layout: maxHashSlotNum \(config.maxHashSlotNum), maxIndexNum \(config.maxIndexNum)")
        }
        guard config.mappedFileSizeCommitLog >= 4096, config.mappedFileSizeConsumeQueue >= ConsumeQueueUnit.size else {
            throw StoreError(.usage, path: root, "mapped file sizes too small: commitlog \(config.mappedFileSizeCommitLog), consume queue \(config.mappedFileSizeConsumeQueue)")
        }
        self.config = config
        let lastExitOK = !FileSystem.exists(root + "/abort")

        commitLog = CommitLog(storeRoot: root, config: config)
        try commitLog.queue.load()
        dispatcher = StoreDispatcher(
            storeRoot: root, mappedFileSizeConsumeQueue: config.mappedFileSizeConsumeQueue,
            indexLayout: config.messageIndexEnable ? config.indexLayout : nil, delayLevels: config.delayLevels)
        try dispatcher.loadConsumeQueues()
        checkpoint = try CheckpointFile(storeRoot: root)
        var indexDropped = 0
        if let index = dispatcher.index {
            let before = FileSystem.isDirectory(index.directory) ? (try FileSystem.list(index.directory)).count : 0
            try index.load(lastExitOK: lastExitOK, indexMsgTimestamp: checkpoint.indexMsgTimestamp)
            indexDropped = max(0, before - index.files.count)
            let checkpoint = self.checkpoint
            index.onFullFileFlushed = { timestamp in
                checkpoint.indexMsgTimestamp = timestamp
                checkpoint.flush()
            }
        }
        reput = ReputService(commitLog: commitLog, dispatcher: dispatcher)
        recovery = RecoveryReport(
            lastExitOK: lastExitOK, processOffset: nil, maxPhyOffsetOfConsumeQueue: -1, redispatchedRecords: 0,
            reputFromOffset: 0, reputToOffset: 0, indexFilesDropped: indexDropped, milliseconds: 0)
        let loaded = ConditionLock.monotonicMillis()
        recovery.loadMilliseconds = loaded - started
        try recover(lastExitOK: lastExitOK)
        let recovered = ConditionLock.monotonicMillis()
        recovery.recoverMilliseconds = recovered - loaded
        try start()
        recovery.dispatchMilliseconds = ConditionLock.monotonicMillis() - recovered
        recovery.milliseconds = ConditionLock.monotonicMillis() - started
    }

    // MARK: Put

    /// Appends one message (see `CommitLog.putMessage`); with SYNC_FLUSH returns after the
    /// record is forced.
    public func putMessage(_ message: MessageRecord, delayLevel: Int32? = nil) -> PutMessageResult {
        guard !closed else { return .refused(.serviceNotAvailable, "store is closed") }
        return awaitDurability(commitLog.putMessage(message, delayLevel: delayLevel))
    }

    /// Appends a batch (see `CommitLog.putMessages`).
    public func putMessages(_ batch: MessageBatch) -> PutMessageResult {
        guard !closed else { return .refused(.serviceNotAvailable, "store is closed") }
        return awaitDurability(commitLog.putMessages(batch))
    }

    private func awaitDurability(_ result: PutMessageResult) -> PutMessageResult {
        guard result.status == .putOK, let groupCommit, let last = result.last else { return result }
        var answer = result
        if !groupCommit.waitForFlush(upTo: last.physicalOffset + Int64(last.size), timeoutMillis: config.syncFlushTimeout) {
            answer.status = .flushDiskTimeout
        }
        return answer
    }

    /// Waits until every appended record is in the consume queues and index.
    @discardableResult
    public func waitForDispatch(timeoutMillis: Int = 10_000) -> Bool { reput.waitUntilCaughtUp(timeoutMillis: timeoutMillis) }

    /// Forces commitlog, consume queues, index and checkpoint now (what `close` does).
    public func flush() {
        commitLog.queue.flushAll()
        let storeTimestamp = commitLog.lastStoreTimestamp
        if storeTimestamp > 0 { checkpoint.physicMsgTimestamp = storeTimestamp }
        let logics = dispatcher.logicsMsgTimestamp
        dispatcher.flush(leastPages: 0, index: true)
        if logics > 0 { checkpoint.logicsMsgTimestamp = logics }
        checkpoint.flush()
    }

    // MARK: Lifecycle

    private func start() throws(StoreError) {
        // 4.9.8 start(): reput from the largest consume queue end (never below the commitlog min).
        var from = commitLog.minOffset
        for queue in dispatcher.consumeQueues where queue.maxPhysicOffset > from { from = queue.maxPhysicOffset }
        if from < 0 { from = 0 }
        reput.reputFromOffset = from
        recovery.reputFromOffset = from
        reput.dispatchAvailable()
        if let error = reput.lastError { throw error }
        recovery.reputToOffset = reput.reputFromOffset
        recoverTopicQueueTable()
        reput.start()
        if config.flushDiskType == .syncFlush {
            let service = GroupCommitService(commitLog: commitLog, checkpoint: checkpoint)
            service.start()
            groupCommit = service
        } else {
            let service = CommitLogFlushService(commitLog: commitLog, checkpoint: checkpoint)
            service.start()
            commitLogFlush = service
        }
        let cqFlush = ConsumeQueueFlushService(dispatcher: dispatcher, checkpoint: checkpoint, config: config)
        cqFlush.start()
        consumeQueueFlush = cqFlush
        try FileSystem.createEmptyFile(abortPath)
    }

    /// Stops the services, dispatches the backlog, forces everything, writes the checkpoint,
    /// removes `abort` (only when the dispatch backlog is 0, as 4.9.8 does) and releases the lock.
    public func close() throws(StoreError) {
        guard !closed else { return }
        closed = true
        reput.shutdown()
        groupCommit?.shutdown()
        commitLogFlush?.shutdown()
        consumeQueueFlush?.shutdown()
        flush()
        let caughtUp = reput.behindBytes == 0 && reput.lastError == nil
        commitLog.queue.discardSpare()
        commitLog.shutdown()
        dispatcher.shutdown()
        checkpoint.shutdown()
        if caughtUp { try FileSystem.removeFile(abortPath) }
        lock.release()
        if let error = reput.lastError { throw error }
    }

    deinit {
        if !closed { try? close() }
    }
}
