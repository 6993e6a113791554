// Hands the dispatch work from the thread walking the log to a second thread that writes the
// consume queue units and the index: per record its offset, store time, unit fields and queue,
// and the bytes of its topic and keys, in batches of 64K words (a few buffers in a ring, two
// POSIX semaphores). The log is walked, its properties parsed and each record's queue found
// (by its topic's bytes) once, on the walking thread; the second thread appends the units,
// hashes the keys (Java's String.hashCode of topic#key) and does the index's random slot
// writes (IndexFile.putKey). Units and entries are written in log order, as the reput
// service writes them. The split keeps the two threads about equally busy.

#if canImport(Glibc)
import Glibc
#endif
import RocketMQFormat
import RocketMQStore

final class DispatchFeed: @unchecked Sendable {
    // The producer owns buffers[produce] until it posts `full`; the consumer owns
    // buffers[consume] until it posts `free`. Counts are written before the post that hands over.
    private static let bufferCount = 4
    private static let capacity = 1 << 16
    private let buffers: [UnsafeMutablePointer<Int64>]
    /// Raw memory, not an Array: a write through a class's Array property is an access to the
    /// whole property (and may copy the buffer while the other thread reads it, swapping the
    /// reference under it). ThreadSanitizer reported it; the semaphores order element accesses.
    private let counts: UnsafeMutablePointer<Int>
    private let free = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)
    private let full = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)
    private var produce = 0
    private var fill = 0

    init() {
        buffers = (0..<Self.bufferCount).map { _ in UnsafeMutablePointer<Int64>.allocate(capacity: Self.capacity) }
        counts = UnsafeMutablePointer<Int>.allocate(capacity: Self.bufferCount)
        counts.initialize(repeating: 0, count: Self.bufferCount)
        sem_init(free, 0, UInt32(Self.bufferCount - 1))
        sem_init(full, 0, 0)
    }

    deinit {
        for buffer in buffers { buffer.deallocate() }
        counts.deallocate()
        sem_destroy(free)
        sem_destroy(full)
        free.deallocate()
        full.deallocate()
    }

    private func publish(_ count: Int) {
        counts[produce] = count
        sem_post(full)
        while sem_wait(free) != 0 {}  // EINTR
        produce = (produce + 1) % Self.bufferCount
        fill = 0
    }

    /// Words of a record before its bytes: offset, store time, meta, tagsCode, queue offset,
    /// size, queue.
    private static let headerWords = 7

    /// Producer: one record with its properties' fields and its consume queue (nil: it gets no
    /// unit). Meta holds the lengths of the topic, UNIQ_KEY (+ 1, 0 when absent) and KEYS (16
    /// bits each: every one is under 32 KiB), bit 63 set when the record is indexed
    /// (`IndexWriter.buildIndex`'s rule). The bytes of topic, UNIQ_KEY and KEYS follow.
    func append(_ view: MessageRecordView, properties: DispatchFields, queue: Unmanaged<ConsumeQueueWriter>?) {
        let indexable = view.transactionType != .rollback && view.propertiesLength > 0
        let topic = indexable ? view.topicBytes : UnsafeRawBufferPointer(start: nil, count: 0)
        let uniq = indexable ? properties.uniqKey : nil
        let keys = indexable ? properties.keys : nil
        let byteCount = topic.count + (uniq?.count ?? 0) + (keys?.count ?? 0)
        let words = Self.headerWords + (byteCount + 7) / 8
        if fill + words > Self.capacity { publish(fill) }
        let record = buffers[produce] + fill
        record[0] = view.physicalOffset
        record[1] = view.storeTimestamp
        var meta = UInt64(topic.count) | UInt64(uniq.map { $0.count + 1 } ?? 0) << 16 | UInt64(keys?.count ?? 0) << 32
        if indexable { meta |= 1 << 63 }
        record[2] = Int64(bitPattern: meta)
        record[3] = properties.tagsCode
        record[4] = view.queueOffset
        record[5] = Int64(view.totalSize)
        record[6] = Int64(Int(bitPattern: queue?.toOpaque()))
        var bytes = UnsafeMutableRawPointer(record + Self.headerWords)
        func copy(_ part: UnsafeRawBufferPointer?) {
            guard let part, part.count > 0, let source = part.baseAddress else { return }
            bytes.copyMemory(from: source, byteCount: part.count)
            bytes += part.count
        }
        copy(topic)
        copy(uniq)
        copy(keys)
        fill += words
    }

    /// Runs `produce` on this thread, appending to a feed that a second thread drains into
    /// `index` (and `dispatcher`'s queues); with no index, `produce` gets no feed and runs
    /// alone. The feed is finished whatever `produce` does. `produce`'s error comes first,
    /// then the drain's.
    static func run(index: IndexWriter?, dispatcher: StoreDispatcher?,
                    _ produce: (DispatchFeed?) throws(StoreError) -> Void) throws(StoreError) {
        guard let index else { return try produce(nil) }
        let feed = DispatchFeed()
        var drained: StoreError?
        var produced: Swift.Result<Void, StoreError> = .success(())
        ParallelWork.run({ drained = feed.drain(into: dispatcher, index: index) }) {
            produced = Swift.Result { () throws(StoreError) in
                defer { feed.finish() }
                try produce(feed)
            }
        }
        try produced.get()
        if let drained { throw drained }
    }

    /// Producer: no more records.
    func finish() {
        counts[produce] = fill
        sem_post(full)
        while sem_wait(free) != 0 {}
        produce = (produce + 1) % Self.bufferCount
        counts[produce] = -1
        sem_post(full)
    }

    /// Consumer: writes every record's unit through `dispatcher` (none: an index alone) and its entries to `index`
    /// until `finish`; after an error it keeps draining (so the producer never waits for good)
    /// and returns the error at the end. Records go in groups of up to `group`: the keys of a
    /// whole group are hashed and their slots requested from memory first, then put, so the
    /// slot misses overlap instead of coming one by one.
    func drain(into dispatcher: StoreDispatcher?, index: IndexWriter) -> StoreError? {
        // Unretained: binding the optional per record retained and released the dispatcher,
        // whose reference count the walking thread's queue lookups share a cache line with
        // (perf: both threads slowed, a sixth of this one's time in swift_release).
        let units = dispatcher.map { Unmanaged.passUnretained($0) }
        let group = 64
        var consume = 0
        var failure: StoreError?
        // Key hashes of one group: UNIQ_KEY plus one per two bytes of KEYS at most per record
        // (under 32 KiB of properties), so a group stops early rather than overflow.
        let hashCapacity = 1 << 16
        let hashes = UnsafeMutablePointer<Int64>.allocate(capacity: hashCapacity)
        defer { hashes.deallocate() }
        var records: [(position: Int, hashStart: Int, hashCount: Int)] = []
        records.reserveCapacity(group)
        while true {
            while sem_wait(full) != 0 {}
            let count = counts[consume]
            if count < 0 { return failure }
            let buffer = buffers[consume]
            var position = 0
            while position < count, failure == nil {
                records.removeAll(keepingCapacity: true)
                var n = 0
                while position < count, records.count < group, n + (1 << 15) <= hashCapacity {
                    let record = buffer + position
                    let meta = UInt64(bitPattern: record[2])
                    let topicCount = Int(meta & 0xFFFF), uniqCount = Int(meta >> 16 & 0xFFFF), keysCount = Int(meta >> 32 & 0xFFFF)
                    var bytes = UnsafeRawPointer(record + Self.headerWords)
                    let topic = UnsafeRawBufferPointer(start: bytes, count: topicCount)
                    bytes += topicCount
                    let first = n
                    let uniq = uniqCount > 0 ? UnsafeRawBufferPointer(start: bytes, count: uniqCount - 1) : nil
                    let keys = keysCount > 0 ? UnsafeRawBufferPointer(start: bytes + max(uniqCount - 1, 0), count: keysCount) : nil
                    IndexKey.forEachHash(topicPrefix: IndexKey.topicPrefixHash(topic), uniqueKey: uniq, keys: keys) { hash in
                        hashes[n] = Int64(hash)
                        n += 1
                    }
                    for k in first..<n { index.prefetchSlot(keyHash: hashes[k]) }
                    records.append((position, first, n - first))
                    position += Self.headerWords + (topicCount + max(uniqCount - 1, 0) + keysCount + 7) / 8
                }
                for item in records where failure == nil {
                    let record = buffer + item.position
                    let meta = UInt64(bitPattern: record[2])
                    do throws(StoreError) {
                        if let opaque = UnsafeRawPointer(bitPattern: Int(record[6])), let units {
                            try units._withUnsafeGuaranteedRef { dispatcher in
                                Swift.Result { () throws(StoreError) in
                                    try dispatcher.dispatchUnit(Unmanaged<ConsumeQueueWriter>.fromOpaque(opaque), offset: record[0],
                                                                size: Int32(truncatingIfNeeded: record[5]), tagsCode: record[3],
                                                                queueOffset: record[4], storeTimestamp: record[1])
                                }
                            }.get()
                        }
                        try index.buildIndex(offset: record[0], timestamp: record[1], indexable: meta >> 63 != 0,
                                             keyHashes: UnsafeBufferPointer(start: hashes + item.hashStart, count: item.hashCount))
                    } catch { failure = error }
                }
            }
            sem_post(free)
            consume = (consume + 1) % Self.bufferCount
        }
    }
}
