// A small, allocation-light JSON writer for NDJSON output.
//
// It appends UTF-8 into one reusable byte buffer; a caller writes a line, hands the bytes to
// the output, and resets. Strings that come from record bytes are escaped straight from the
// bytes (ASCII fast path); malformed UTF-8 becomes U+FFFD, as Java decodes it.

public struct JSONLineWriter: Sendable {
    public private(set) var bytes: [UInt8] = []
    private var needsComma: [Bool] = []

    public init(capacity: Int = 4096) { bytes.reserveCapacity(capacity) }

    public mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        needsComma.removeAll(keepingCapacity: true)
    }

    // MARK: structure

    public mutating func beginObject() { separate(); bytes.append(UInt8(ascii: "{")); needsComma.append(false) }
    public mutating func endObject() { bytes.append(UInt8(ascii: "}")); needsComma.removeLast() }
    public mutating func beginArray() { separate(); bytes.append(UInt8(ascii: "[")); needsComma.append(false) }
    public mutating func endArray() { bytes.append(UInt8(ascii: "]")); needsComma.removeLast() }
    public mutating func newline() { bytes.append(0x0A) }

    /// Writes `"name":` inside an object.
    public mutating func key(_ name: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        pendingValue = true
    }

    public mutating func key(string name: String) {
        separate()
        appendEscaped(utf8: name)
        bytes.append(UInt8(ascii: ":"))
        pendingValue = true
    }

    public mutating func key(bytes name: UnsafeRawBufferPointer) {
        separate()
        appendEscaped(name)
        bytes.append(UInt8(ascii: ":"))
        pendingValue = true
    }

    // MARK: values

    public mutating func value<T: BinaryInteger>(_ number: T) {
        separate()
        appendDecimal(Int64(number))
    }

    public mutating func value(_ flag: Bool) {
        separate()
        bytes.append(contentsOf: flag ? Array("true".utf8) : Array("false".utf8))
    }

    public mutating func value(_ string: String) {
        separate()
        appendEscaped(utf8: string)
    }

    public mutating func value(_ string: String?) {
        if let string { value(string) } else { null() }
    }

    /// A JSON string of UTF-8 bytes (malformed sequences become U+FFFD).
    public mutating func value(utf8 raw: UnsafeRawBufferPointer) {
        separate()
        appendEscaped(raw)
    }

    public mutating func null() {
        separate()
        bytes.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
    }

    /// Raw, already-valid JSON text.
    public mutating func raw(_ text: String) {
        separate()
        bytes.append(contentsOf: text.utf8)
    }

    // MARK: key + value shorthands

    public mutating func field<T: BinaryInteger>(_ name: StaticString, _ number: T) { key(name); value(number) }
    public mutating func field(_ name: StaticString, _ flag: Bool) { key(name); value(flag) }
    public mutating func field(_ name: StaticString, _ string: String) { key(name); value(string) }
    public mutating func field(_ name: StaticString, _ string: String?) { key(name); value(string) }
    public mutating func field(_ name: StaticString, utf8 raw: UnsafeRawBufferPointer) { key(name); value(utf8: raw) }

    // MARK: internals

    private var pendingValue = false

    private mutating func separate() {
        if pendingValue {
            pendingValue = false
            return
        }
        guard !needsComma.isEmpty else { return }
        if needsComma[needsComma.count - 1] { bytes.append(UInt8(ascii: ",")) }
        needsComma[needsComma.count - 1] = true
    }

    private mutating func appendDecimal(_ number: Int64) {
        if number == 0 { bytes.append(0x30); return }
        var magnitude = number.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of scratch, no heap
        let count = withUnsafeMutableBytes(of: &digits) { scratch -> Int in
            var i = scratch.count
            while magnitude > 0 {
                i -= 1
                scratch[i] = UInt8(truncatingIfNeeded: magnitude % 10) + 0x30
                magnitude /= 10
            }
            if number < 0 { i -= 1; scratch[i] = UInt8(ascii: "-") }
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[i...]))
            return scratch.count - i
        }
        _ = count
    }

    private mutating func appendEscaped(utf8 string: String) {
        var copy = string
        copy.withUTF8 { appendEscaped(UnsafeRawBufferPointer($0)) }
    }

    private mutating func appendEscaped(_ raw: UnsafeRawBufferPointer) {
        bytes.append(UInt8(ascii: "\""))
        var ascii = true
        for byte in raw where byte >= 0x80 { ascii = false; break }
        if ascii {
            escapeASCIIOrValidUTF8(raw)
        } else {
            // Re-encode through String to replace malformed sequences with U+FFFD.
            var decoded = String(decoding: raw, as: UTF8.self)
            decoded.withUTF8 { escapeASCIIOrValidUTF8(UnsafeRawBufferPointer($0)) }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func escapeASCIIOrValidUTF8(_ raw: UnsafeRawBufferPointer) {
        var runStart = 0
        for (i, byte) in raw.enumerated() where byte < 0x20 || byte == 0x22 || byte == 0x5C {
            if runStart < i { bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[runStart..<i])) }
            switch byte {
            case 0x22: bytes.append(contentsOf: [0x5C, 0x22])
            case 0x5C: bytes.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: bytes.append(contentsOf: [0x5C, 0x6E])
            case 0x0D: bytes.append(contentsOf: [0x5C, 0x72])
            case 0x09: bytes.append(contentsOf: [0x5C, 0x74])
            default:
                bytes.append(contentsOf: [0x5C, 0x75, 0x30, 0x30])
                bytes.append(Hex.lowerDigits[Int(byte >> 4)])
                bytes.append(Hex.lowerDigits[Int(byte & 0xF)])
            }
            runStart = i + 1
        }
        if runStart < raw.count { bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[runStart...])) }
    }
}
