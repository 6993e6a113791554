// The dispatchers of a store (`CommitLogDispatcherBuildConsumeQueue` and
// `CommitLogDispatcherBuildIndex`): turns commitlog records into consume queue units and index
// entries. The engine's reput service drives it; a repair tool can drive it over a commitlog
// to rebuild consume queues and index from scratch.

import RocketMQFormat
import Synchronization

public final class StoreDispatcher: @unchecked Sendable {
    public let storeRoot: String
    public let mappedFileSizeConsumeQueue: Int
    public let delayLevels: DelayLevelTable
    /// Consume queue files buffer their units (`ConsumeQueueWriter`'s `appendBufferSize`).
    public let queueAppendBufferSize: Int
    /// nil when `messageIndexEnable` is false.
    public let index: IndexWriter?
    private let queues = Locked<[String: [Int32: ConsumeQueueWriter]]>([:])
    private let logicsTimestamp = Atomic<Int64>(0)
    /// Only the dispatching thread uses it (dispatch is single-threaded, like the reput service).
    private let lookup = ConsumeQueueLookup()

    public init(
        storeRoot: String, mappedFileSizeConsumeQueue: Int, indexLayout: IndexFileLayout?,
        delayLevels: DelayLevelTable = .default, queueAppendBufferSize: Int = 0
    ) {
        self.storeRoot = storeRoot
        self.queueAppendBufferSize = queueAppendBufferSize
        self.mappedFileSizeConsumeQueue = mappedFileSizeConsumeQueue
        self.delayLevels = delayLevels
        self.index = indexLayout.map { IndexWriter(storeRoot: storeRoot, layout: $0) }
    }

    /// Store time of the last record given a consume queue unit (checkpoint logicsMsgTimestamp).
    public var logicsMsgTimestamp: Int64 {
        get { logicsTimestamp.load(ordering: .relaxed) }
        set { logicsTimestamp.store(newValue, ordering: .relaxed) }
    }

    /// Every consume queue known, sorted by topic then queue id.
    public var consumeQueues: [ConsumeQueueWriter] {
        queues.withLock { table in
            table.keys.sorted().flatMap { topic in table[topic]!.keys.sorted().map { table[topic]![$0]! } }
        }
    }

    /// The queue of (topic, queueId), nil when it does not exist and `create` is false.
    public func consumeQueue(topic: String, queueId: Int32, create: Bool = true) -> ConsumeQueueWriter? {
        queues.withLock { table -> ConsumeQueueWriter? in
            if let existing = table[topic]?[queueId] { return existing }
            guard create else { return nil }
            let writer = ConsumeQueueWriter(storeRoot: storeRoot, topic: topic, queueId: queueId,
                                            mappedFileSizeConsumeQueue: mappedFileSizeConsumeQueue,
                                            appendBufferSize: queueAppendBufferSize)
            table[topic, default: [:]][queueId] = writer
            return writer
        }
    }

    /// Loads every existing `consumequeue/<topic>/<queueId>` (`loadConsumeQueue`): the queue id
    /// directory must parse as a decimal int, other names are skipped.
    public func loadConsumeQueues() throws(StoreError) {
        let root = storeRoot + "/consumequeue"
        guard FileSystem.isDirectory(root) else { return }
        for topic in try FileSystem.list(root) where topic.kind == .directory {
            for queue in try FileSystem.list(root + "/" + topic.name) where queue.kind == .directory {
                guard let queueId = Int32(queue.name) else { continue }
                try consumeQueue(topic: topic.name, queueId: queueId)!.load()
            }
        }
    }

    /// Dispatches one record that passed the store's check: a consume queue unit for NOT and
    /// COMMIT records (§7.2), index entries for all but ROLLBACK (§8.4).
    public func dispatch(_ view: MessageRecordView) throws(StoreError) {
        // One pass over the properties for tagsCode, UNIQ_KEY and KEYS; the queue found by
        // the topic's bytes (no String per record).
        try dispatch(view, properties: DispatchFields(view, delayLevels: delayLevels))
    }

    /// `dispatch` with the properties already found (a caller that also needs the keys).
    public func dispatch(_ view: MessageRecordView, properties: DispatchFields) throws(StoreError) {
        if view.transactionType.isDispatchedToConsumeQueue {
            // The lookup keeps the queue alive: no retain and release per record.
            try dispatchUnit(queue(topic: view.topicBytes, queueId: view.queueId), offset: view.physicalOffset, size: view.totalSize,
                             tagsCode: properties.tagsCode, queueOffset: view.queueOffset, storeTimestamp: view.storeTimestamp)
        }
        try index?.buildIndex(view, uniqKey: properties.uniqKey, keys: properties.keys)
    }

    /// The queue of (topic, queueId), created when new, through the lookup of the thread that
    /// calls `dispatch` (by the topic's bytes: no String per record; this thread, then): for
    /// `dispatchUnit`, here or on another thread. Unretained, valid while the dispatcher lives.
    public func queue(topic: UnsafeRawBufferPointer, queueId: Int32) -> Unmanaged<ConsumeQueueWriter> {
        if let queue = lookup.find(topic: topic, queueId: queueId) { return queue }
        let queue = consumeQueue(topic: String(decoding: topic, as: UTF8.self), queueId: queueId)!
        lookup.insert(queue, topic: topic, queueId: queueId)
        return Unmanaged.passUnretained(queue)
    }

    /// A consume queue unit of a record whose fields (and queue, `queue(topic:queueId:)`) were
    /// found on another thread (a rebuild's walking thread, when this one writes the units): the
    /// same rules as `dispatch`, for a record dispatched to a consume queue. One thread at a
    /// time writes a queue's units.
    public func dispatchUnit(_ queue: Unmanaged<ConsumeQueueWriter>, offset: Int64, size: Int32, tagsCode: Int64,
                             queueOffset: Int64, storeTimestamp: Int64) throws(StoreError) {
        let written = try queue._withUnsafeGuaranteedRef { queue in
            Result { () throws(StoreError) -> Bool in
                try queue.putMessagePositionInfo(offset: offset, size: size, tagsCode: tagsCode, cqOffset: queueOffset)
            }
        }.get()
        if written { logicsMsgTimestamp = storeTimestamp }
    }

    /// Dispatches a request built elsewhere (same rules as `dispatch(_: MessageRecordView)`).
    public func dispatch(_ request: DispatchRequest) throws(StoreError) {
        if request.buildsConsumeQueueUnit {
            let queue = consumeQueue(topic: request.topic, queueId: request.queueId)!
            if try queue.dispatch(request) { logicsMsgTimestamp = request.storeTimestamp }
        }
        try index?.buildIndex(request)
    }

    /// Flushes every consume queue (leastPages 0 = everything) and, with `index`, the index.
    public func flush(leastPages: Int = 0, index flushIndex: Bool = false) {
        for queue in consumeQueues { while !queue.flush(leastPages: leastPages) {} }
        if flushIndex { index?.flush() }
    }

    /// Starts the writeback of every consume queue (and the index), for a flush of them all.
    public func startWriteback() {
        for queue in consumeQueues { queue.startWriteback() }
        index?.startWriteback()
    }

    public func shutdown() {
        for queue in consumeQueues { queue.shutdown() }
        index?.shutdown()
    }
}
