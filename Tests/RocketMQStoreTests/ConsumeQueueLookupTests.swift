// The dispatcher's queue lookup (raw slots, topic bytes in one arena) against a dictionary,
// across its growth: many topics and queue ids, topics that share prefixes, lengths and hashes.

@testable import RocketMQStore
import TestSupport
import Testing

@Suite struct ConsumeQueueLookupTests {
    @Test func findsEveryQueueAcrossGrowth() {
        let lookup = ConsumeQueueLookup()
        var expected: [String: ConsumeQueueWriter] = [:]
        var names: [(String, Int32)] = []
        for t in 0..<150 {
            let topic = t % 3 == 0 ? "T\(t)" : String(repeating: "topic-\(t)-", count: 1 + t % 40)
            for q in Int32(0)..<Int32(1 + t % 4) { names.append((topic, q)) }
        }
        for (i, (topic, queueId)) in names.enumerated() {
            let writer = ConsumeQueueWriter(storeRoot: "/nonexistent", topic: topic, queueId: queueId, mappedFileSizeConsumeQueue: 6000)
            Array(topic.utf8).withUnsafeBytes { bytes in
                #expect(lookup.find(topic: bytes, queueId: queueId) == nil)
                lookup.insert(writer, topic: bytes, queueId: queueId)
            }
            expected["\(topic)/\(queueId)"] = writer
            // Everything inserted so far is still found (and nothing else), after each growth.
            if i % 37 == 0 || i == names.count - 1 {
                for (t, q) in names.prefix(i + 1) {
                    Array(t.utf8).withUnsafeBytes { bytes in
                        #expect(lookup.find(topic: bytes, queueId: q)?.takeUnretainedValue() === expected["\(t)/\(q)"])
                        #expect(lookup.find(topic: bytes, queueId: q + 100) == nil)
                    }
                }
                Array("T".utf8).withUnsafeBytes { #expect(lookup.find(topic: $0, queueId: 0) == nil) }
            }
        }
        // Interleaved lookups, as records of many queues come (the last hit is tried first):
        // never another queue, and none for a queue id that was not inserted.
        var rng = SplitMix64(seed: 12345)
        for _ in 0..<5000 {
            let draw = rng.next()
            let (t, q) = names[Int(draw >> 33) % names.count]
            let missing = draw & 7 == 0
            Array(t.utf8).withUnsafeBytes { bytes in
                if missing {
                    #expect(lookup.find(topic: bytes, queueId: q + 64) == nil)
                } else {
                    #expect(lookup.find(topic: bytes, queueId: q)?.takeUnretainedValue() === expected["\(t)/\(q)"])
                }
            }
        }
    }
}
