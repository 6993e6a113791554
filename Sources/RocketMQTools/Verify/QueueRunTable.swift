// The log pass's per-queue bookkeeping, keyed by the record's raw topic bytes and queueId.
//
// A dictionary keyed by (String, Int32) costs a String and a SipHash per record, a fifth of the
// whole pass on 1 KiB messages. This open-addressing table hashes the bytes in place (FNV-1a)
// and compares them with memcmp; a String is built once per queue, when the table is read out.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

struct QueueRunTable {
    private var hashes: [UInt64]  // 0: empty slot
    private var topics: [[UInt8]]
    private var queueIds: [Int32]
    private var runs: [QueueRun]
    private(set) var count = 0

    init(capacity: Int = 64) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        hashes = Array(repeating: 0, count: size)
        topics = Array(repeating: [], count: size)
        queueIds = Array(repeating: 0, count: size)
        runs = Array(repeating: QueueRun(firstQueueOffset: 0, nextQueueOffset: 0, firstPhysicalOffset: 0,
                                          lastPhysicalOffset: 0, count: 0), count: size)
    }

    static func hash(_ topic: UnsafeRawBufferPointer, _ queueId: Int32) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in topic {
            h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        h = (h ^ UInt64(UInt32(bitPattern: queueId))) &* 0x0000_0100_0000_01B3
        return h | 1
    }

    /// Calls `body` with the queue's run (nil the first time the queue is seen); what `body`
    /// leaves in it is stored.
    mutating func update(topic: UnsafeRawBufferPointer, queueId: Int32, _ body: (inout QueueRun?) -> Void) {
        let hash = Self.hash(topic, queueId)
        let mask = hashes.count - 1
        var slot = Int(truncatingIfNeeded: hash >> 7) & mask
        while hashes[slot] != 0 {
            if hashes[slot] == hash, queueIds[slot] == queueId, Self.equal(topics[slot], topic) {
                var run: QueueRun? = runs[slot]
                body(&run)
                if let run { runs[slot] = run }
                return
            }
            slot = (slot + 1) & mask
        }
        var run: QueueRun?
        body(&run)
        guard let run else { return }
        hashes[slot] = hash
        topics[slot] = Array(topic)
        queueIds[slot] = queueId
        runs[slot] = run
        count += 1
        if count * 2 > hashes.count { grow() }
    }

    private static func equal(_ stored: [UInt8], _ topic: UnsafeRawBufferPointer) -> Bool {
        guard stored.count == topic.count else { return false }
        if stored.isEmpty { return true }
        return stored.withUnsafeBytes { memcmp($0.baseAddress!, topic.baseAddress!, topic.count) == 0 }
    }

    private mutating func grow() {
        var bigger = QueueRunTable(capacity: hashes.count)
        for slot in hashes.indices where hashes[slot] != 0 {
            let run = runs[slot]
            topics[slot].withUnsafeBytes { topic in
                bigger.update(topic: topic, queueId: queueIds[slot]) { $0 = run }
            }
        }
        self = bigger
    }

    /// The runs keyed by (topic, queueId).
    var dictionary: [VerifyQueueKey: QueueRun] {
        var result: [VerifyQueueKey: QueueRun] = [:]
        result.reserveCapacity(count)
        for slot in hashes.indices where hashes[slot] != 0 {
            result[VerifyQueueKey(topic: String(decoding: topics[slot], as: UTF8.self), queueId: queueIds[slot])] = runs[slot]
        }
        return result
    }
}
