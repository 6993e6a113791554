import RocketMQStore
import Testing

@Suite struct ByteComparisonTests {
    @Test func agreesWithElementwiseEquality() {
        let samples: [[UInt8]] = [[], [0], [1], [0, 1], [1, 0], Array("TopicA".utf8), Array("TopicB".utf8), Array("Topic".utf8),
                                  Array(repeating: 7, count: 300), Array(repeating: 7, count: 299) + [8]]
        for a in samples {
            for b in samples {
                let expected = a == b
                b.withUnsafeBytes { raw in
                    #expect(ByteComparison.equal(a, raw) == expected, "\(a) vs \(b)")
                    a.withUnsafeBytes { #expect(ByteComparison.equal($0, raw) == expected) }
                }
            }
        }
        // Empty ranges without a base address compare equal to any empty range.
        #expect(ByteComparison.equal(UnsafeRawBufferPointer(start: nil, count: 0), UnsafeRawBufferPointer(start: nil, count: 0)))
        #expect(ByteComparison.equal([], UnsafeRawBufferPointer(start: nil, count: 0)))
    }
}
