// Hands index work from the thread walking the log to the thread writing the index: per
// record its offset, store time and key hashes, in batches of 64K words (a few buffers in a
// ring, two POSIX semaphores). The log is then walked and its properties parsed once; the
// index thread does only the random slot writes (IndexFile.putKey).

#if canImport(Glibc)
import Glibc
#endif
import RocketMQFormat
import RocketMQStore

final class IndexFeed: @unchecked Sendable {
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

    /// Producer: one record (the index rules of `IndexWriter.buildIndex`).
    func append(_ view: MessageRecordView, uniqKey: UnsafeRawBufferPointer?, keys: UnsafeRawBufferPointer?) {
        let indexable = view.transactionType != .rollback && view.propertiesLength > 0
        var needed = 3
        if indexable {
            if uniqKey != nil { needed += 1 }
            if let keys { needed += keys.count / 2 + 1 }  // at most this many tokens
        }
        if fill + needed > Self.capacity { publish(fill) }
        let buffer = buffers[produce]
        buffer[fill] = view.physicalOffset
        buffer[fill + 1] = view.storeTimestamp
        var n = 0
        let first = fill + 3
        if indexable {
            let prefix = IndexKey.topicPrefixHash(view.topicBytes)
            if let uniqKey {
                buffer[first + n] = Int64(IndexKey.hash(topicPrefix: prefix, key: uniqKey))
                n += 1
            }
            if let keys, keys.count > 0 {
                var start = 0
                for i in 0...keys.count where i == keys.count || keys[i] == 0x20 {
                    if i > start {
                        buffer[first + n] = Int64(IndexKey.hash(topicPrefix: prefix, key: UnsafeRawBufferPointer(rebasing: keys[start..<i])))
                        n += 1
                    }
                    start = i + 1
                }
            }
        }
        buffer[fill + 2] = Int64(n) | (indexable ? 1 << 32 : 0)
        fill = first + n
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

    /// Consumer: feeds every record to `index` until `finish`; after an error it keeps draining
    /// (so the producer never waits for good) and returns the error at the end.
    func drain(into index: IndexWriter) -> StoreError? {
        var consume = 0
        var failure: StoreError?
        while true {
            while sem_wait(full) != 0 {}
            let count = counts[consume]
            if count < 0 { return failure }
            let buffer = buffers[consume]
            var position = 0
            while position < count, failure == nil {
                let meta = buffer[position + 2]
                let n = Int(meta & 0xFFFF_FFFF)
                do {
                    try index.buildIndex(offset: buffer[position], timestamp: buffer[position + 1], indexable: meta >> 32 != 0,
                                         keyHashes: UnsafeBufferPointer(start: buffer + position + 3, count: n))
                } catch { failure = error }
                position += 3 + n
            }
            sem_post(free)
            consume = (consume + 1) % Self.bufferCount
        }
    }
}
