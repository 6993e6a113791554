// Java string semantics that RocketMQ's on-disk values depend on.
//
// Tag codes and index key hashes are `String.hashCode()`, which runs over UTF-16 code units of
// the string Java decoded from UTF-8 (malformed sequences become U+FFFD). FORMAT.md §0.

public enum JavaString {
    /// `String.hashCode()` of UTF-8 bytes as Java would decode them.
    @inlinable
    public static func hashCode(utf8 bytes: UnsafeRawBufferPointer) -> Int32 {
        // ASCII fast path: one UTF-16 unit per byte; no String is built.
        var h: Int32 = 0
        for byte in bytes {
            if byte >= 0x80 { return hashCode(String(decoding: bytes, as: UTF8.self)) }
            h = h &* 31 &+ Int32(byte)
        }
        return h
    }

    /// Continues a `String.hashCode()` over more UTF-8 bytes: `hashCode(continuing: hashCode(a),
    /// utf8: b)` is the hash of the concatenation `a + b` (parts decoded separately, as
    /// `hashCode(concatenating:)`). Lets the dispatcher hash `topic#key` without building it.
    @inlinable
    public static func hashCode(continuing start: Int32, utf8 bytes: UnsafeRawBufferPointer) -> Int32 {
        var h = start
        for byte in bytes {
            if byte >= 0x80 {
                h = start
                for unit in String(decoding: bytes, as: UTF8.self).utf16 { h = h &* 31 &+ Int32(unit) }
                return h
            }
            h = h &* 31 &+ Int32(byte)
        }
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
