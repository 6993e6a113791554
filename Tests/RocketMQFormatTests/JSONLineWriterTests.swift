import RocketMQFormat
import TestSupport
import Testing

/// The writer's fast paths (8-byte escaping, in-place UTF-8 validation, two-digit integers)
/// against the simple byte-by-byte writer they replaced.
@Suite struct JSONLineWriterTests {
    /// The escaping the dump used before the fast path: decode as Swift does (malformed
    /// sequences become U+FFFD), then escape `"`, `\`, `\n`, `\r`, `\t`, other controls as `\u00xx`.
    static func referenceString(_ raw: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x22]
        for byte in String(decoding: raw, as: UTF8.self).utf8 {
            switch byte {
            case 0x22: out += [0x5C, 0x22]
            case 0x5C: out += [0x5C, 0x5C]
            case 0x0A: out += [0x5C, 0x6E]
            case 0x0D: out += [0x5C, 0x72]
            case 0x09: out += [0x5C, 0x74]
            case ..<0x20: out += Array("\\u00".utf8) + Array(String(byte, radix: 16).leftPadded(to: 2).utf8)
            default: out.append(byte)
            }
        }
        out.append(0x22)
        return out
    }

    static func written(_ raw: [UInt8]) -> [UInt8] {
        var writer = JSONLineWriter(capacity: 16)  // small: exercises growth mid-string
        raw.withUnsafeBytes { writer.value(utf8: $0) }
        return writer.bytes
    }

    @Test func everySingleByte() {
        for byte in 0...255 {
            let raw = [UInt8(byte)]
            #expect(Self.written(raw) == Self.referenceString(raw), "byte \(byte)")
        }
    }

    @Test func controlCharactersAtEveryWordOffset() {
        // Escapes before, inside and after 8-byte words, and in the byte-wise tail.
        for length in 0...24 {
            for position in 0..<max(length, 1) {
                for special: UInt8 in [0x00, 0x01, 0x02, 0x09, 0x0A, 0x0D, 0x1F, 0x22, 0x5C, 0x7F, 0x20] {
                    var raw = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                    if length > 0 { raw[position] = special }
                    #expect(Self.written(raw) == Self.referenceString(raw), "\(raw)")
                }
            }
        }
    }

    @Test func validAndMalformedUTF8() {
        let cases: [[UInt8]] = [
            Array("héllo wörld, 中文, 😀 and \u{1}".utf8),
            [0xC3],  // truncated 2-byte
            [0xC0, 0xAF],  // overlong
            [0xE0, 0x80, 0xAF],  // overlong 3-byte
            [0xED, 0xA0, 0x80],  // UTF-16 surrogate
            [0xF4, 0x90, 0x80, 0x80],  // above U+10FFFF
            [0xF5, 0x80, 0x80, 0x80],
            [0xFF, 0xFE],
            [0x80],  // lone continuation
            Array("abcdefgh".utf8) + [0xE2, 0x82] + Array("\"tail\\\n".utf8),  // truncated 3-byte mid-text
            Array("KEYS\u{1}k1 k2\u{2}TAGS\u{1}tag\u{2}".utf8) + [0xF0, 0x9F, 0x98],
        ]
        for raw in cases {
            #expect(Self.written(raw) == Self.referenceString(raw), "\(raw)")
        }
    }

    @Test func randomBytes() {
        var random = SplitMix64(seed: 0x6A73_6F6E)
        for round in 0..<3000 {
            let length = Int(random.next() % 80)
            var raw = random.bytes(length)
            // Mostly ASCII text with some controls, quotes and high bytes.
            if round % 2 == 0 { raw = raw.map { $0 & 0x7F } }
            #expect(Self.written(raw) == Self.referenceString(raw), "\(raw)")
        }
    }

    @Test func integersAsDescription() {
        var values: [Int64] = [0, 1, -1, 9, 10, 99, 100, 101, Int64.max, Int64.min, Int64.min + 1]
        var power: Int64 = 1
        for _ in 0..<18 {
            power *= 10
            values += [power - 1, power, power + 1, -power, -(power - 1)]
        }
        for value in values {
            var writer = JSONLineWriter()
            writer.value(value)
            #expect(writer.bytes == Array(value.description.utf8))
        }
        var writer = JSONLineWriter()
        writer.value(UInt64.max)
        #expect(writer.bytes == Array(UInt64.max.description.utf8))
    }

    @Test func structureAndCopies() {
        var writer = JSONLineWriter()
        writer.beginObject()
        writer.field("a", 1)
        writer.key("b")
        writer.beginArray()
        writer.value(true)
        writer.null()
        writer.endArray()
        writer.field("c", "x")
        let copy = writer  // value semantics: writing on after a copy leaves the copy alone
        writer.endObject()
        #expect(String(decoding: writer.bytes, as: UTF8.self) == #"{"a":1,"b":[true,null],"c":"x"}"#)
        #expect(String(decoding: copy.bytes, as: UTF8.self) == #"{"a":1,"b":[true,null],"c":"x""#)
        writer.reset()
        writer.beginObject()
        writer.endObject()
        #expect(writer.bytes == Array("{}".utf8))
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
