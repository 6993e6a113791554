// Java string semantics that RocketMQ's on-disk values depend on.
//
// Tag codes and index key hashes are `String.hashCode()`, which runs over UTF-16 code units of
// the string Java decoded from UTF-8 (malformed sequences become U+FFFD). FORMAT.md §0.

public enum JavaString {
    /// `String.hashCode()` of UTF-8 bytes as Java would decode them.
    @inlinable
    public static func hashCode(utf8 bytes: UnsafeRawBufferPointer) -> Int32 {
        hashCode(continuing: 0, utf8: bytes)
    }

    /// Continues a `String.hashCode()` over more UTF-8 bytes: `hashCode(continuing: hashCode(a),
    /// utf8: b)` is the hash of the concatenation `a + b` (parts decoded separately, as
    /// `hashCode(concatenating:)`). Lets the dispatcher hash `topic#key` without building it.
    ///
    /// ASCII is hashed eight bytes a step: h·31⁸ + b₀·31⁷ + … + b₇ is the same sum as eight
    /// steps of h·31 + b (mod 2³²), with eight independent products instead of a chain of
    /// eight, which a rebuild runs for three keys of every record.
    @inlinable
    public static func hashCode(continuing start: Int32, utf8 bytes: UnsafeRawBufferPointer) -> Int32 {
        let count = bytes.count
        guard count > 0, let base = bytes.baseAddress else { return start }
        let p2: Int32 = 31 &* 31, p3 = p2 &* 31, p4 = p3 &* 31, p5 = p4 &* 31, p6 = p5 &* 31, p7 = p6 &* 31, p8 = p7 &* 31
        var h = start
        var i = 0
        while i + 8 <= count {
            let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            if word & 0x8080_8080_8080_8080 != 0 { return hashCodeDecoding(continuing: start, utf8: bytes) }
            func byte(_ n: UInt64) -> Int32 { Int32(truncatingIfNeeded: (word >> (n &* 8)) & 0xFF) }
            let high = byte(0) &* p7 &+ byte(1) &* p6 &+ byte(2) &* p5 &+ byte(3) &* p4
            let low = byte(4) &* p3 &+ byte(5) &* p2 &+ byte(6) &* 31 &+ byte(7)
            h = h &* p8 &+ high &+ low
            i &+= 8
        }
        while i < count {
            let byte = base.load(fromByteOffset: i, as: UInt8.self)
            if byte >= 0x80 { return hashCodeDecoding(continuing: start, utf8: bytes) }
            h = h &* 31 &+ Int32(byte)
            i &+= 1
        }
        return h
    }

    /// `hashCode(continuing:utf8:)` for bytes that are not all ASCII: over the UTF-16 units of
    /// the string Java decodes them to.
    @usableFromInline
    static func hashCodeDecoding(continuing start: Int32, utf8 bytes: UnsafeRawBufferPointer) -> Int32 {
        var h = start
        for unit in String(decoding: bytes, as: UTF8.self).utf16 { h = h &* 31 &+ Int32(unit) }
        return h
    }

    /// `String.hashCode()` of a Swift string (over its UTF-16 view).
    @inlinable
    public static func hashCode(_ string: String) -> Int32 {
        var h: Int32 = 0
        for unit in string.utf16 { h = h &* 31 &+ Int32(unit) }
        return h
    }

    /// `String.hashCode()` of the concatenation of several UTF-8 parts, without joining them.
    /// Used for index keys, `topic + "#" + key`.
    public static func hashCode(concatenating parts: [UnsafeRawBufferPointer]) -> Int32 {
        var h: Int32 = 0
        for part in parts {
            var ascii = true
            for byte in part where byte >= 0x80 { ascii = false; break }
            if ascii {
                for byte in part { h = h &* 31 &+ Int32(byte) }
            } else {
                for unit in String(decoding: part, as: UTF8.self).utf16 { h = h &* 31 &+ Int32(unit) }
            }
        }
        return h
    }

    /// `Integer.parseInt(s)`: optional sign, decimal digits, no spaces, must fit in Int32.
    public static func parseInt(_ text: String) -> Int32? {
        var utf8 = Substring(text).utf8[...]
        guard let first = utf8.first else { return nil }
        var negative = false
        if first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            utf8 = utf8.dropFirst()
            if utf8.isEmpty { return nil }
        }
        var value: Int64 = 0
        for byte in utf8 {
            guard byte >= 0x30, byte <= 0x39 else { return nil }
            value = value * 10 + Int64(byte - 0x30)
            if value > Int64(Int32.max) + 1 { return nil }
        }
        if negative { value = -value }
        guard value >= Int64(Int32.min), value <= Int64(Int32.max) else { return nil }
        return Int32(value)
    }

    /// `Long.parseLong(s)`.
    public static func parseLong(_ text: String) -> Int64? {
        var utf8 = Substring(text).utf8[...]
        guard let first = utf8.first else { return nil }
        var negative = false
        if first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            utf8 = utf8.dropFirst()
            if utf8.isEmpty { return nil }
        }
        var magnitude: UInt64 = 0
        for byte in utf8 {
            guard byte >= 0x30, byte <= 0x39 else { return nil }
            let (m1, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (m2, o2) = m1.addingReportingOverflow(UInt64(byte - 0x30))
            if o1 || o2 { return nil }
            magnitude = m2
        }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return Int64(magnitude)
    }
}
