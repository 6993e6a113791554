// [5.x] property CRC (FORMAT.md §4, ISSUE #7437): with `enabledAppendPropCRC` the last 20 bytes
// of the properties are `__CRC32#`, 0x01, 10 ASCII digits least-significant first, 0x02, and
// hold crc32 & 0x7FFFFFFF over the record bytes [0, TOTALSIZE − 20).

public enum PropertyCRC {
    /// `CRC32_RESERVED_LEN`: len("__CRC32#") + 1 + 10 + 1.
    public static let reservedLength = 20

    /// The stored value when `properties` ends with a well-formed CRC entry; nil when the
    /// record has no property CRC (the common case: it is off by default).
    public static func storedValue(in properties: UnsafeRawBufferPointer) -> Int64? {
        let count = properties.count
        guard count >= reservedLength, hasKey(properties) else { return nil }
        let start = count - reservedLength
        guard properties[start + 8] == 0x01, properties[count - 1] == 0x02 else { return nil }
        // Digits are least-significant first: read them backwards.
        var value: Int64 = 0
        var position = count - 2
        while position >= start + 9 {
            let digit = properties[position]
            guard digit >= 0x30 && digit <= 0x39 else { return nil }
            value = value * 10 + Int64(digit - 0x30)
            position -= 1
        }
        return value
    }

    /// True when the entry's key is there but the value is not 10 digits between 0x01 and 0x02.
    public static func hasMalformedEntry(in properties: UnsafeRawBufferPointer) -> Bool {
        let count = properties.count
        return count >= reservedLength && hasKey(properties) && storedValue(in: properties) == nil
    }

    /// The reserved area starts with `__CRC32#` (compared as one 8-byte word).
    @inline(__always)
    static func hasKey(_ properties: UnsafeRawBufferPointer) -> Bool {
        let word = properties.loadUnaligned(fromByteOffset: properties.count - reservedLength, as: UInt64.self)
        return word == keyWord
    }

    /// `__CRC32#` as it lies in memory.
    private static let keyWord: UInt64 = {
        var word: UInt64 = 0
        for (i, byte) in MessageProperties.propertyCRC.utf8.enumerated() { word |= UInt64(byte) << (8 * UInt64(i)) }
        return UInt64(littleEndian: word)
    }()

    /// The value RocketMQ writes for `record` (the record bytes before the reserved 20).
    public static func computed(for record: UnsafeRawBufferPointer) -> Int64 {
        guard record.count > reservedLength else { return 0 }
        let covered = UnsafeRawBufferPointer(rebasing: record[0..<(record.count - reservedLength)])
        return Int64(CRC32.checksum(covered) & 0x7FFF_FFFF)
    }

    /// The 20 reserved bytes for `value` (used by writers and tests).
    public static func entry(_ value: Int64) -> [UInt8] {
        var bytes = Array(MessageProperties.propertyCRC.utf8)
        bytes.append(0x01)
        var rest = value
        for _ in 0..<10 {
            bytes.append(UInt8(0x30 + rest % 10))
            rest /= 10
        }
        bytes.append(0x02)
        return bytes
    }
}
