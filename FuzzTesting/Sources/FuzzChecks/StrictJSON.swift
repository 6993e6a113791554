// A strict RFC 8259 syntax check for the JSON lines the describer writes.
//
// The fuzz targets check every `dump` line they produce. Parsing a line with FastJSON builds a
// value tree (a String per key and value: most of a run's time under ASan), while the property
// is only "this is one well-formed JSON object". This checker allocates nothing and is stricter
// than FastJSON, which accepts fastjson's extensions: it also requires valid UTF-8 in strings
// (well-formed sequences only: no overlongs, surrogates or values past U+10FFFF), unescaped
// control characters nowhere, and numbers in the RFC grammar.

struct StrictJSON {
    private let bytes: UnsafeRawBufferPointer
    private var position = 0

    /// Whether `bytes` is exactly one JSON object (whitespace around it allowed).
    static func isObject(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var checker = StrictJSON(bytes: bytes)
        checker.skipWhitespace()
        guard checker.peek == UInt8(ascii: "{"), checker.value(depth: 0) else { return false }
        checker.skipWhitespace()
        return checker.position == bytes.count
    }

    private init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    private var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func skipWhitespace() {
        while let byte = peek, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { position += 1 }
    }

    private mutating func consume(_ byte: UInt8) -> Bool {
        guard peek == byte else { return false }
        position += 1
        return true
    }

    private mutating func value(depth: Int) -> Bool {
        guard depth < 256, let byte = peek else { return false }
        switch byte {
        case UInt8(ascii: "{"):
            position += 1
            skipWhitespace()
            if consume(UInt8(ascii: "}")) { return true }
            while true {
                skipWhitespace()
                guard string() else { return false }
                skipWhitespace()
                guard consume(UInt8(ascii: ":")) else { return false }
                skipWhitespace()
                guard value(depth: depth + 1) else { return false }
                skipWhitespace()
                if consume(UInt8(ascii: ",")) { continue }
                return consume(UInt8(ascii: "}"))
            }
        case UInt8(ascii: "["):
            position += 1
            skipWhitespace()
            if consume(UInt8(ascii: "]")) { return true }
            while true {
                skipWhitespace()
                guard value(depth: depth + 1) else { return false }
                skipWhitespace()
                if consume(UInt8(ascii: ",")) { continue }
                return consume(UInt8(ascii: "]"))
            }
        case UInt8(ascii: "\""): return string()
        case UInt8(ascii: "t"): return literal("true")
        case UInt8(ascii: "f"): return literal("false")
        case UInt8(ascii: "n"): return literal("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return number()
        default: return false
        }
    }

    private mutating func literal(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard bytes.count - position >= count else { return false }
        for k in 0..<count where bytes[position + k] != word.utf8Start[k] { return false }
        position += count
        return true
    }

    private mutating func digits() -> Int {
        let start = position
        while let byte = peek, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { position += 1 }
        return position - start
    }

    /// -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
    private mutating func number() -> Bool {
        _ = consume(UInt8(ascii: "-"))
        if consume(UInt8(ascii: "0")) {
            if let byte = peek, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { return false }
        } else if digits() == 0 {
            return false
        }
        if consume(UInt8(ascii: ".")), digits() == 0 { return false }
        if consume(UInt8(ascii: "e")) || consume(UInt8(ascii: "E")) {
            if !consume(UInt8(ascii: "+")) { _ = consume(UInt8(ascii: "-")) }
            if digits() == 0 { return false }
        }
        return true
    }

    /// Bytes that can stand for themselves inside a string (printable ASCII but `"` and `\`):
    /// 1, else 0. One lookup per byte, as coverage instrumentation traces every comparison.
    nonisolated(unsafe) private static let plain: UnsafePointer<UInt8> = {
        let table = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
        for byte in 0..<256 {
            table[byte] = byte >= 0x20 && byte < 0x80 && byte != 0x22 && byte != 0x5C ? 1 : 0
        }
        return UnsafePointer(table)
    }()

    private mutating func string() -> Bool {
        guard consume(UInt8(ascii: "\"")) else { return false }
        let plain = Self.plain
        while true {
            skipPlainWords()
            guard let byte = peek else { return false }
            if plain[Int(byte)] != 0 {
                position += 1
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                return true
            case UInt8(ascii: "\\"):
                position += 1
                guard let escaped = peek else { return false }
                position += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                     UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    continue
                case UInt8(ascii: "u"):
                    guard bytes.count - position >= 4 else { return false }
                    for _ in 0..<4 {
                        guard isHexDigit(bytes[position]) else { return false }
                        position += 1
                    }
                default: return false
                }
            case 0..<0x20: return false
            case 0x20..<0x80: position += 1
            default:
                guard utf8Sequence() else { return false }
            }
        }
    }

    /// Skips 8 bytes at a time while none of them is special (`"`, `\\`, a control character or a
    /// non-ASCII byte): the usual word tricks, exact for "is there any such byte".
    private mutating func skipPlainWords() {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        while bytes.count - position >= 8 {
            let word = bytes.loadUnaligned(fromByteOffset: position, as: UInt64.self)
            let quote = word ^ (ones &* 0x22)
            let backslash = word ^ (ones &* 0x5C)
            let control = (word &- ones &* 0x20) & ~word
            let special = (word | control | ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash)) & high
            if special != 0 { return }
            position += 8
        }
    }

    private func isHexDigit(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "f"))
    }

    /// One well-formed multi-byte UTF-8 sequence (Unicode Table 3-7) at `position`.
    private mutating func utf8Sequence() -> Bool {
        let lead = bytes[position]
        let length: Int
        var low: UInt8 = 0x80, high: UInt8 = 0xBF  // range of the second byte
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: return false
        }
        guard bytes.count - position >= length else { return false }
        let second = bytes[position + 1]
        guard second >= low, second <= high else { return false }
        for k in 2..<length where bytes[position + k] & 0xC0 != 0x80 { return false }
        position += length
        return true
    }
}
