// Appends JSON text to a JSONLineWriter's buffer through a raw pointer.
//
// The dump writes a million lines a second, so the message line is written here: literal
// fragments (`,"queueId":`) copied whole, integers two digits at a time, hex straight from
// the bytes, strings escaped eight bytes at a time. Each write checks the room left once
// and grows the buffer when needed; nothing is allocated per line once the buffer is warm.
// Obtain one with `JSONLineWriter.withCursor`; it must not escape that call.

struct JSONCursor {
    // Internal (not private) for the extension in JSONCursor+Properties.swift.
    unowned(unsafe) let buffer: JSONLineBuffer
    var position: UnsafeMutablePointer<UInt8>
    private var limit: UnsafeMutablePointer<UInt8>

    // Copied from the buffer (plain pointers and integers) so the hot path never calls into
    // the class, which would cost a retain/release pair per call.
    private var pairs: UnsafeMutablePointer<PropertyPairs.Pair>?
    private var pairCapacity: Int
    private let repeated: UnsafeRawPointer?
    private let repeatedCount: Int
    private let repeatedJSONCount: Int

    init(buffer: JSONLineBuffer) {
        self.buffer = buffer
        position = buffer.base + buffer.count
        limit = buffer.base + buffer.capacity
        pairs = buffer.pairs
        pairCapacity = buffer.pairCapacity
        repeated = UnsafeRawPointer(buffer.repeated)
        repeatedCount = buffer.repeatedCount
        repeatedJSONCount = buffer.repeatedJSONCount
    }

    /// Hands the written length back to the buffer.
    func finish() { buffer.count = position - buffer.base }

    /// Scratch room for `count` property pairs, valid until the next call.
    mutating func pairScratch(_ count: Int) -> UnsafeMutablePointer<PropertyPairs.Pair> {
        if let pairs, pairCapacity >= count { return pairs }
        let grown = buffer.pairScratch(count)
        pairs = grown
        pairCapacity = buffer.pairCapacity
        return grown
    }

    // MARK: room

    @inline(__always)
    mutating func reserve(_ byteCount: Int) {
        if _slowPath(limit - position < byteCount) { grow(byteCount) }
    }

    @inline(never)
    private mutating func grow(_ byteCount: Int) {
        let used = position - buffer.base
        buffer.count = used
        buffer.grow(toAtLeast: used + byteCount)
        position = buffer.base + used
        limit = buffer.base + buffer.capacity
    }

    // MARK: raw text

    @inline(__always)
    mutating func byte(_ value: UInt8) {
        reserve(1)
        position.pointee = value
        position += 1
    }

    /// Already-valid JSON text, e.g. `,"queueId":`.
    @inline(__always)
    mutating func literal(_ text: StaticString) {
        let count = text.utf8CodeUnitCount
        reserve(count)
        Self.copySmall(UnsafeRawPointer(text.utf8Start), count, to: UnsafeMutableRawPointer(position))
        position += count
    }

    /// Copies a few dozen bytes with word moves: a memmove call per key costs more than the key.
    @inline(__always)
    static func copySmall(_ source: UnsafeRawPointer, _ count: Int, to target: UnsafeMutableRawPointer) {
        var i = 0
        while i &+ 8 <= count {
            target.storeBytes(of: source.loadUnaligned(fromByteOffset: i, as: UInt64.self), toByteOffset: i, as: UInt64.self)
            i &+= 8
        }
        if i &+ 4 <= count {
            target.storeBytes(of: source.loadUnaligned(fromByteOffset: i, as: UInt32.self), toByteOffset: i, as: UInt32.self)
            i &+= 4
        }
        while i < count {
            target.storeBytes(of: source.load(fromByteOffset: i, as: UInt8.self), toByteOffset: i, as: UInt8.self)
            i &+= 1
        }
    }

    mutating func raw(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        reserve(bytes.count)
        if bytes.count <= 64 {
            Self.copySmall(source, bytes.count, to: UnsafeMutableRawPointer(position))
        } else {
            UnsafeMutableRawPointer(position).copyMemory(from: source, byteCount: bytes.count)
        }
        position += bytes.count
    }

    mutating func bool(_ flag: Bool) { if flag { literal("true") } else { literal("false") } }

    // MARK: numbers

    /// Decimal digits of `number`, as Swift's `description` prints them.
    mutating func decimal<T: BinaryInteger>(_ number: T) {
        if let value = Int64(exactly: number) {
            decimal(value)
        } else {
            let text = number.description
            for unit in text.utf8 { byte(unit) }
        }
    }

    mutating func decimal(_ number: Int64) {
        reserve(20)
        if number >= 0 && number < 10 {  // most fields: flags, ids, zeros
            position.pointee = UInt8(truncatingIfNeeded: number) &+ 0x30
            position += 1
            return
        }
        var magnitude = number.magnitude
        if number < 0 {
            position.pointee = UInt8(ascii: "-")
            position += 1
        }
        // Digits go right to left straight into place, two at a time (stores only: a scratch
        // buffer read back as words stalls on store forwarding).
        let pairs: StaticString =
            "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"
        let table = pairs.utf8Start
        let end = position + Self.digitCount(magnitude)
        var cursor = end
        while magnitude >= 100 {
            let pair = Int(truncatingIfNeeded: magnitude % 100) &* 2
            magnitude /= 100
            cursor -= 2
            cursor[0] = table[pair]
            cursor[1] = table[pair &+ 1]
        }
        if magnitude >= 10 {
            let pair = Int(truncatingIfNeeded: magnitude) &* 2
            cursor[-2] = table[pair]
            cursor[-1] = table[pair &+ 1]
        } else {
            cursor[-1] = UInt8(truncatingIfNeeded: magnitude) &+ 0x30
        }
        position = end
    }

    /// Decimal digits of `value` (1 for 0).
    @inline(__always)
    static func digitCount(_ value: UInt64) -> Int {
        if value < 100_000_000 {
            if value < 10_000 { return value < 100 ? (value < 10 ? 1 : 2) : (value < 1_000 ? 3 : 4) }
            return value < 1_000_000 ? (value < 100_000 ? 5 : 6) : (value < 10_000_000 ? 7 : 8)
        }
        if value < 10_000_000_000_000_000 {
            if value < 1_000_000_000_000 {
                return value < 10_000_000_000 ? (value < 1_000_000_000 ? 9 : 10) : (value < 100_000_000_000 ? 11 : 12)
            }
            return value < 100_000_000_000_000
                ? (value < 10_000_000_000_000 ? 13 : 14) : (value < 1_000_000_000_000_000 ? 15 : 16)
        }
        if value < 1_000_000_000_000_000_000 { return value < 100_000_000_000_000_000 ? 17 : 18 }
        return value < 10_000_000_000_000_000_000 ? 19 : 20
    }

    // MARK: hex

    /// Two hex digits per byte (`0-9a-f`, or `0-9A-F` when `uppercase`), no quotes.
    mutating func hex(_ bytes: UnsafeRawBufferPointer, uppercase: Bool = false) {
        reserve(bytes.count * 2)
        let digits = (uppercase ? "0123456789ABCDEF" as StaticString : "0123456789abcdef").utf8Start
        for byte in bytes {
            position[0] = digits[Int(byte &>> 4)]
            position[1] = digits[Int(byte & 0x0F)]
            position += 2
        }
    }

    /// `0x` and the 8 lowercase hex digits of `value` (the fixtures' form of a magic code).
    mutating func magic(_ value: Int32) {
        withUnsafeBytes(of: value.bigEndian) { bytes in
            literal("\"0x")
            hex(bytes)
            byte(UInt8(ascii: "\""))
        }
    }

    /// Lowercase hex of `value` without leading zeros (Java `Integer.toHexString` of a short).
    mutating func hexDigits(_ value: UInt16) {
        reserve(4)
        let digits = ("0123456789abcdef" as StaticString).utf8Start
        var shift = 12
        while shift > 0 && (value &>> UInt16(shift)) == 0 { shift -= 4 }
        while shift >= 0 {
            position.pointee = digits[Int((value &>> UInt16(shift)) & 0xF)]
            position += 1
            shift -= 4
        }
    }

    // MARK: base64

    mutating func base64(_ bytes: UnsafeRawBufferPointer) {
        let alphabet = ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" as StaticString).utf8Start
        reserve((bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= bytes.count {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            position[0] = alphabet[Int(v >> 18 & 63)]
            position[1] = alphabet[Int(v >> 12 & 63)]
            position[2] = alphabet[Int(v >> 6 & 63)]
            position[3] = alphabet[Int(v & 63)]
            position += 4
            i += 3
        }
        let rest = bytes.count - i
        if rest > 0 {
            let v = UInt32(bytes[i]) << 16 | (rest == 2 ? UInt32(bytes[i + 1]) << 8 : 0)
            position[0] = alphabet[Int(v >> 18 & 63)]
            position[1] = alphabet[Int(v >> 12 & 63)]
            position[2] = rest == 2 ? alphabet[Int(v >> 6 & 63)] : UInt8(ascii: "=")
            position[3] = UInt8(ascii: "=")
            position += 4
        }
    }

    // MARK: strings

    /// A quoted JSON string of UTF-8 bytes. Malformed UTF-8 is replaced by U+FFFD exactly as
    /// `String(decoding:as: UTF8.self)` does (Java decodes the same bytes the same way).
    /// Escapes `"`, `\`, `\n`, `\r`, `\t` and other control bytes as `\u00xx`; nothing else.
    mutating func string(utf8 bytes: UnsafeRawBufferPointer) {
        byte(UInt8(ascii: "\""))
        let opening = position - buffer.base
        if !appendEscaped(bytes, validUTF8: false) {
            // Malformed: start again from the decoded (repaired) text.
            position = buffer.base + opening
            var decoded = String(decoding: bytes, as: UTF8.self)
            decoded.withUTF8 { _ = appendEscaped(UnsafeRawBufferPointer($0), validUTF8: true) }
        }
        byte(UInt8(ascii: "\""))
    }

    mutating func string(_ text: String) {
        byte(UInt8(ascii: "\""))
        // Native strings are contiguous UTF-8: no copy (and no retain) of the text.
        let done: Bool? = text.utf8.withContiguousStorageIfAvailable { utf8 in
            appendEscaped(UnsafeRawBufferPointer(utf8), validUTF8: true)
        }
        if done == nil {
            var copy = text
            copy.withUTF8 { _ = appendEscaped(UnsafeRawBufferPointer($0), validUTF8: true) }
        }
        byte(UInt8(ascii: "\""))
    }

    /// `string(name)` for a string repeated line after line (a file name): escaped once,
    /// then copied.
    mutating func repeatedString(_ name: String) {
        let cached = name.utf8.withContiguousStorageIfAvailable { utf8 -> Bool in
            guard let repeated,
                  PropertyPairs.equal(UnsafeRawBufferPointer(utf8), UnsafeRawBufferPointer(start: repeated, count: repeatedCount))
            else { return false }
            raw(UnsafeRawBufferPointer(start: repeated + repeatedCount, count: repeatedJSONCount))
            return true
        }
        guard cached != true else { return }
        let start = offset
        string(name)
        var copy = name
        copy.withUTF8 { utf8 in
            buffer.remember(
                UnsafeRawBufferPointer(utf8),
                json: UnsafeRawBufferPointer(start: buffer.base + start, count: offset - start))
        }
    }

    /// Offset of the next byte written in the line buffer (for `copyWritten`).
    var offset: Int { position - buffer.base }

    /// Appends a copy of bytes written earlier on this line (`offset` before and after them).
    mutating func copyWritten(from start: Int, to end: Int) {
        let count = end - start
        reserve(count)
        Self.copySmallOrMove(UnsafeRawPointer(buffer.base + start), count, to: UnsafeMutableRawPointer(position))
        position += count
    }

    @inline(__always)
    static func copySmallOrMove(_ source: UnsafeRawPointer, _ count: Int, to target: UnsafeMutableRawPointer) {
        if count <= 64 { copySmall(source, count, to: target) } else { target.copyMemory(from: source, byteCount: count) }
    }

    /// Appends the escaped bytes; returns false (having written part of them) when they are
    /// not valid UTF-8 and `validUTF8` was not promised.
    private mutating func appendEscaped(_ bytes: UnsafeRawBufferPointer, validUTF8: Bool) -> Bool {
        guard let source = bytes.baseAddress else { return true }
        let count = bytes.count
        // Each byte grows to at most 6 (`\u00xx`); reserve for the common case and top up
        // only when an escape is written.
        reserve(count)
        var out = position  // a local: `position` lives behind `inout self`
        var checked = validUTF8
        var i = 0
        while i < count {
            if count &- i >= 8 {
                let word = source.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                if !Self.needsEscapeOrCheck(word, nonASCIIChecked: checked) {
                    UnsafeMutableRawPointer(out).storeBytes(of: word, as: UInt64.self)
                    out += 8
                    i &+= 8
                    continue
                }
            }
            let end = min(i &+ 8, count)
            while i < end {
                let byte = source.load(fromByteOffset: i, as: UInt8.self)
                if _slowPath(byte < 0x20 || byte == 0x22 || byte == 0x5C) {
                    position = out
                    writeEscape(byte, remaining: count &- i)
                    out = position
                } else {
                    if _slowPath(byte >= 0x80 && !checked) {
                        guard UTF8Validation.isValid(UnsafeRawBufferPointer(rebasing: bytes[i...])) else {
                            position = out
                            return false
                        }
                        checked = true
                    }
                    out.pointee = byte
                    out += 1
                }
                i &+= 1
            }
        }
        position = out
        return true
    }

    @inline(__always)
    static func needsEscapeOrCheck(_ word: UInt64, nonASCIIChecked: Bool) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        // "Has a byte < n" and "has a zero byte" tests (exact for "any"; false positives only
        // slow a word down, never skip an escape).
        let control = (word &- 0x20 &* ones) & ~word & highs
        let quote = word ^ (0x22 &* ones)
        let backslash = word ^ (0x5C &* ones)
        let special = control | ((quote &- ones) & ~quote & highs) | ((backslash &- ones) & ~backslash & highs)
        return special != 0 || (!nonASCIIChecked && word & highs != 0)
    }

    /// Writes the escape of `byte`; `remaining` input bytes (this one included) still to come,
    /// each of which may need one byte of the room already reserved.
    private mutating func writeEscape(_ byte: UInt8, remaining: Int) {
        reserve(6 + remaining)
        position[0] = UInt8(ascii: "\\")
        switch byte {
        case 0x22: position[1] = 0x22; position += 2
        case 0x5C: position[1] = 0x5C; position += 2
        case 0x0A: position[1] = UInt8(ascii: "n"); position += 2
        case 0x0D: position[1] = UInt8(ascii: "r"); position += 2
        case 0x09: position[1] = UInt8(ascii: "t"); position += 2
        default:
            let digits = ("0123456789abcdef" as StaticString).utf8Start
            position[1] = UInt8(ascii: "u")
            position[2] = 0x30
            position[3] = 0x30
            position[4] = digits[Int(byte &>> 4)]
            position[5] = digits[Int(byte & 0x0F)]
            position += 6
        }
    }
}
