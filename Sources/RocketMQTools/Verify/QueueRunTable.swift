// The log pass's per-queue bookkeeping, keyed by the record's raw topic bytes and queueId.
//
// A dictionary keyed by (String, Int32) costs a String and a SipHash per record, a fifth of the
// whole pass on 1 KiB messages. This open-addressing table hashes the bytes in place (FNV-1a),
// keeps the topics in one flat byte array (no per-slot array to retain) and compares with
// memcmp; a String is built once per queue, when the table is read out.

import RocketMQFormat

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

struct QueueRunTable {
    private var hashes: [UInt64]  // 0: empty slot
    private var topicStarts: [Int]
    private var topicLengths: [Int]
    private var queueIds: [Int32]
    private var runs: [QueueRun]
    private var topicBytes: [UInt8] = []
    private(set) var count = 0

    init(capacity: Int = 64) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        hashes = Array(repeating: 0, count: size)
        topicStarts = Array(repeating: 0, count: size)
        topicLengths = Array(repeating: 0, count: size)
        queueIds = Array(repeating: 0, count: size)
        runs = Array(repeating: QueueRun(firstQueueOffset: 0, nextQueueOffset: 0, firstPhysicalOffset: 0,
                                          lastPhysicalOffset: 0, count: 0), count: size)
    }

    static func hash(_ topic: UnsafeRawBufferPointer, _ queueId: Int32) -> UInt64 {
        FNV1a.topicQueue(topic, queueId) | 1
    }

    /// The slot holding (topic, queueId), or the empty slot where it would go (negated - 1).
    private func find(_ topic: UnsafeRawBufferPointer, _ queueId: Int32, hash: UInt64) -> Int {
        let mask = hashes.count - 1
        var slot = Int(truncatingIfNeeded: hash >> 7) & mask
        while hashes[slot] != 0 {
            if hashes[slot] == hash, queueIds[slot] == queueId, topicLengths[slot] == topic.count {
                let start = topicStarts[slot]
                let same = topic.isEmpty || topicBytes.withUnsafeBytes {
                    memcmp($0.baseAddress! + start, topic.baseAddress!, topic.count) == 0
                }
                if same { return slot }
            }
            slot = (slot + 1) & mask
        }
        return -slot - 1
    }

    /// The run of (topic, queueId), nil the first time the queue is seen.
    func run(topic: UnsafeRawBufferPointer, queueId: Int32) -> (slot: Int, run: QueueRun?) {
        let slot = find(topic, queueId, hash: Self.hash(topic, queueId))
        return slot >= 0 ? (slot, runs[slot]) : (slot, nil)
    }

    /// Stores `run` for the queue `run(topic:queueId:)` returned `slot` for.
    mutating func set(_ run: QueueRun, slot: Int, topic: UnsafeRawBufferPointer, queueId: Int32) {
        if slot >= 0 {
            runs[slot] = run
            return
        }
        let empty = -slot - 1
        hashes[empty] = Self.hash(topic, queueId)
        topicStarts[empty] = topicBytes.count
        topicLengths[empty] = topic.count
        topicBytes.append(contentsOf: topic)
        queueIds[empty] = queueId
        runs[empty] = run
        count += 1
        if count * 2 > hashes.count { grow() }
    }

    private mutating func grow() {
        var bigger = QueueRunTable(capacity: hashes.count)
        topicBytes.withUnsafeBytes { all in
            for slot in hashes.indices where hashes[slot] != 0 {
                let topic = UnsafeRawBufferPointer(rebasing: all[topicStarts[slot]..<(topicStarts[slot] + topicLengths[slot])])
                let free = bigger.run(topic: topic, queueId: queueIds[slot]).slot
                bigger.set(runs[slot], slot: free, topic: topic, queueId: queueIds[slot])
            }
        }
        self = bigger
    }

    /// The runs keyed by (topic, queueId).
    var dictionary: [VerifyQueueKey: QueueRun] {
        var result: [VerifyQueueKey: QueueRun] = [:]
        result.reserveCapacity(count)
        for slot in hashes.indices where hashes[slot] != 0 {
            let topic = String(decoding: topicBytes[topicStarts[slot]..<(topicStarts[slot] + topicLengths[slot])], as: UTF8.self)
            result[VerifyQueueKey(topic: topic, queueId: queueIds[slot])] = runs[slot]
        }
        return result
    }
}
