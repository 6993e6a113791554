// The queues met by a scan of the log, as dense rows (LogEndScan, LogChainScan).

import RocketMQFormat
import RocketMQStore

/// (topic bytes, queue id) → a dense index, open addressing on a hash of the bytes.
struct QueueTable {
    var names: [(topic: [UInt8], queueId: Int32)] = []
    var facts: [LogEndScan.QueueFacts] = []
    private var hashes: [Int] = []
    private var slots = [Int32](repeating: -1, count: 64)

    private static func hash(_ topic: UnsafeRawBufferPointer, _ queueId: Int32) -> Int {
        let h = FNV1a.topicQueue(topic, queueId)
        return Int(truncatingIfNeeded: h ^ (h >> 29))
    }

    /// The row of (topic, queueId), or the empty slot where it would go.
    private func probe(_ topic: UnsafeRawBufferPointer, _ queueId: Int32, hash h: Int) -> (row: Int?, slot: Int) {
        var s = h & (slots.count - 1)
        while slots[s] >= 0 {
            let i = Int(slots[s])
            if hashes[i] == h && names[i].queueId == queueId && ByteComparison.equal(names[i].topic, topic) { return (i, s) }
            s = (s + 1) & (slots.count - 1)
        }
        return (nil, s)
    }

    /// The row of (topic, queueId), nil when it has none.
    func existingIndex(topic: UnsafeRawBufferPointer, queueId: Int32) -> Int? {
        probe(topic, queueId, hash: Self.hash(topic, queueId)).row
    }

    /// The row of (topic, queueId), added when new.
    mutating func index(topic: UnsafeRawBufferPointer, queueId: Int32) -> Int {
        let h = Self.hash(topic, queueId)
        let (row, s) = probe(topic, queueId, hash: h)
        if let row { return row }
        let i = names.count
        names.append((Array(topic), queueId))
        facts.append(LogEndScan.QueueFacts())
        hashes.append(h)
        slots[s] = Int32(i)
        if names.count * 2 > slots.count {
            slots = [Int32](repeating: -1, count: slots.count * 2)
            for (j, hj) in hashes.enumerated() {
                var t = hj & (slots.count - 1)
                while slots[t] >= 0 { t = (t + 1) & (slots.count - 1) }
                slots[t] = Int32(j)
            }
        }
        return i
    }
}
