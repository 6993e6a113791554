import RocketMQFormat
import Testing

/// `MessageProperties.forEachPair` scans eight bytes a step; this compares it with Java's
/// `string2messageProperties` rules applied one byte at a time, on strings dense in separators.
@Suite struct PropertiesScanTests {
    /// The rules of FORMAT.md §5, byte by byte: split on 0x02; keep a segment whose first 0x01
    /// leaves a non-empty key and a non-empty value.
    static func referencePairs(_ bytes: [UInt8]) -> [[UInt8]] {
        var pairs: [[UInt8]] = []
        var segment: [UInt8] = []
        func close() {
            if let split = segment.firstIndex(of: 0x01), split > 0, split < segment.count - 1 {
                pairs.append(Array(segment[..<split]) + [0xFF] + Array(segment[(split + 1)...]))
            }
            segment = []
        }
        for byte in bytes {
            if byte == 0x02 { close() } else { segment.append(byte) }
        }
        close()
        return pairs
    }

    static func scannedPairs(_ bytes: [UInt8]) -> [[UInt8]] {
        var pairs: [[UInt8]] = []
        bytes.withUnsafeBytes { raw in
            MessageProperties.forEachPair(in: raw) { key, value in pairs.append(Array(key) + [0xFF] + Array(value)) }
        }
        return pairs
    }

    @Test func matchesTheByteByByteRules() {
        var state: UInt64 = 0x00C0_FFEE
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        // Separators, zero bytes, 0x81/0x82 (high bits set) and 0xFF next to them, at every
        // alignment and every length up to 80.
        let alphabet: [UInt8] = [0x01, 0x02, 0x00, 0x03, 0x41, 0x81, 0x82, 0xFF, 0x7F, 0x61]
        for length in 0...80 {
            for _ in 0..<200 {
                let bytes = (0..<length).map { _ in alphabet[Int(next() % UInt64(alphabet.count))] }
                #expect(Self.scannedPairs(bytes) == Self.referencePairs(bytes), "\(bytes)")
            }
        }
        let real = Array("KEYS\u{1}a b\u{2}TAGS\u{1}TagA\u{2}UNIQ_KEY\u{1}0A0B\u{2}WAIT\u{1}true\u{2}".utf8)
        #expect(Self.scannedPairs(real).count == 4)
        #expect(Self.scannedPairs(real) == Self.referencePairs(real))
    }
}
