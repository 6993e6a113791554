// Finds a record's consume queue from its topic bytes and queue id without building a String
// or taking the dispatcher's lock: the dispatcher asks once per record (1M times in a rebuild).
// Open addressing on a hash of the topic bytes; the stored topic bytes are compared exactly.
//
// No reference counting per lookup: the slots are plain values in raw memory (topic bytes in
// one arena, the queue as an unretained reference) and the queues are kept alive by `owners`.
// A retain and release per record showed in rebuild profiles at ~10% of the walking thread,
// inflated by another thread's reference counting on a neighbouring cache line.

import RocketMQFormat

final class ConsumeQueueLookup {
    private struct Slot {
        var hash: Int
        var topicStart: Int
        var topicCount: Int
        var queueId: Int32
        /// nil: the slot is empty.
        var queue: Unmanaged<ConsumeQueueWriter>?

        static let empty = Slot(hash: 0, topicStart: 0, topicCount: 0, queueId: 0, queue: nil)
    }

    private struct Table {
        var slots: UnsafeMutablePointer<Slot>
        var capacity: Int
        var count = 0
        /// Slot of the last hit (-1: none): consecutive records often share a queue.
        var last = -1
        var arena: UnsafeMutablePointer<UInt8>
        var arenaCount = 0
        var arenaCapacity: Int
    }

    /// Mutable state in raw memory, so a lookup is no exclusive access to a stored property.
    private let table: UnsafeMutablePointer<Table>
    private var owners: [ConsumeQueueWriter] = []

    init() {
        let capacity = 64
        let slots = UnsafeMutablePointer<Slot>.allocate(capacity: capacity)
        slots.initialize(repeating: .empty, count: capacity)
        table = .allocate(capacity: 1)
        table.initialize(to: Table(slots: slots, capacity: capacity, arena: .allocate(capacity: 1024), arenaCapacity: 1024))
    }

    deinit {
        table.pointee.slots.deallocate()
        table.pointee.arena.deallocate()
        table.deallocate()
    }

    private static func hash(_ topic: UnsafeRawBufferPointer, _ queueId: Int32) -> Int {
        let h = FNV1a.topicQueue(topic, queueId)
        return Int(truncatingIfNeeded: h ^ (h >> 29))
    }

    private func matches(_ slot: UnsafeMutablePointer<Slot>, _ hash: Int, _ topic: UnsafeRawBufferPointer, _ queueId: Int32) -> Bool {
        slot.pointee.hash == hash && slot.pointee.queueId == queueId
            && ByteComparison.equal(UnsafeRawBufferPointer(start: table.pointee.arena + slot.pointee.topicStart, count: slot.pointee.topicCount), topic)
    }

    /// The queue of (topic, queueId), unretained (valid while this lookup lives), or nil.
    func find(topic: UnsafeRawBufferPointer, queueId: Int32) -> Unmanaged<ConsumeQueueWriter>? {
        let h = Self.hash(topic, queueId)
        let slots = table.pointee.slots
        let last = table.pointee.last
        if last >= 0, matches(slots + last, h, topic, queueId) { return slots[last].queue }
        let mask = table.pointee.capacity - 1
        var i = h & mask
        while let queue = slots[i].queue {
            if matches(slots + i, h, topic, queueId) {
                table.pointee.last = i
                return queue
            }
            i = (i + 1) & mask
        }
        return nil
    }

    func insert(_ queue: ConsumeQueueWriter, topic: UnsafeRawBufferPointer, queueId: Int32) {
        owners.append(queue)
        if (table.pointee.count + 1) * 2 > table.pointee.capacity { grow() }
        if table.pointee.arenaCount + topic.count > table.pointee.arenaCapacity {
            let capacity = max(table.pointee.arenaCapacity * 2, table.pointee.arenaCount + topic.count)
            let arena = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
            arena.update(from: table.pointee.arena, count: table.pointee.arenaCount)
            table.pointee.arena.deallocate()
            table.pointee.arena = arena
            table.pointee.arenaCapacity = capacity
        }
        let start = table.pointee.arenaCount
        if let source = topic.baseAddress, topic.count > 0 {
            UnsafeMutableRawPointer(table.pointee.arena + start).copyMemory(from: source, byteCount: topic.count)
        }
        table.pointee.arenaCount += topic.count
        place(Slot(hash: Self.hash(topic, queueId), topicStart: start, topicCount: topic.count, queueId: queueId,
                   queue: Unmanaged.passUnretained(queue)))
        table.pointee.count += 1
        table.pointee.last = -1
    }

    private func grow() {
        let old = table.pointee.slots
        let oldCapacity = table.pointee.capacity
        let capacity = oldCapacity * 2
        let slots = UnsafeMutablePointer<Slot>.allocate(capacity: capacity)
        slots.initialize(repeating: .empty, count: capacity)
        table.pointee.slots = slots
        table.pointee.capacity = capacity
        for i in 0..<oldCapacity where old[i].queue != nil { place(old[i]) }
        old.deallocate()
    }

    private func place(_ slot: Slot) {
        let mask = table.pointee.capacity - 1
        var i = slot.hash & mask
        while table.pointee.slots[i].queue != nil { i = (i + 1) & mask }
        table.pointee.slots[i] = slot
    }
}
