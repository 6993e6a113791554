// Finds a record's consume queue from its topic bytes and queue id without building a String
// or taking the dispatcher's lock: the dispatcher asks once per record (1M times in a rebuild).
// Open addressing on a hash of the topic bytes; the stored topic bytes are compared exactly.

import RocketMQFormat

struct ConsumeQueueLookup {
    private struct Slot {
        var hash: Int
        var topic: [UInt8]
        var queueId: Int32
        var queue: ConsumeQueueWriter
    }

    private var slots: [Slot?] = Array(repeating: nil, count: 64)
    private var count = 0
    /// The last hit: consecutive records often share a queue.
    private var last: Slot?

    private static func hash(_ topic: UnsafeRawBufferPointer, _ queueId: Int32) -> Int {
        let h = FNV1a.topicQueue(topic, queueId)
        return Int(truncatingIfNeeded: h ^ (h >> 29))
    }

    private static func matches(_ slot: Slot, _ hash: Int, _ topic: UnsafeRawBufferPointer, _ queueId: Int32) -> Bool {
        slot.hash == hash && slot.queueId == queueId && ByteComparison.equal(slot.topic, topic)
    }

    mutating func find(topic: UnsafeRawBufferPointer, queueId: Int32) -> ConsumeQueueWriter? {
        let h = Self.hash(topic, queueId)
        if let last, Self.matches(last, h, topic, queueId) { return last.queue }
        var i = h & (slots.count - 1)
        while let slot = slots[i] {
            if Self.matches(slot, h, topic, queueId) {
                last = slot
                return slot.queue
            }
            i = (i + 1) & (slots.count - 1)
        }
        return nil
    }

    mutating func insert(_ queue: ConsumeQueueWriter, topic: UnsafeRawBufferPointer, queueId: Int32) {
        if (count + 1) * 2 > slots.count {
            let old = slots.compactMap { $0 }
            slots = Array(repeating: nil, count: slots.count * 2)
            for slot in old { place(slot) }
        }
        place(Slot(hash: Self.hash(topic, queueId), topic: Array(topic), queueId: queueId, queue: queue))
        count += 1
    }

    private mutating func place(_ slot: Slot) {
        var i = slot.hash & (slots.count - 1)
        while slots[i] != nil { i = (i + 1) & (slots.count - 1) }
        slots[i] = slot
    }
}
