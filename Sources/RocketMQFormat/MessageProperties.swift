// The properties string: `name 0x01 value 0x02 …` (FORMAT.md §5, `MessageDecoder`).
//
// Parsing follows `string2messageProperties` exactly: split on 0x02; keep a segment only when
// its first 0x01 leaves a non-empty key and a non-empty value; later duplicates win. The
// separators are ASCII, so the rules can be applied to the UTF-8 bytes without decoding.

public enum MessageProperties {
    public static let nameValueSeparator: UInt8 = 0x01
    public static let propertySeparator: UInt8 = 0x02

    /// Well-known keys (`MessageConst`).
    public static let keys = "KEYS"
    public static let tags = "TAGS"
    public static let uniqueKey = "UNIQ_KEY"
    public static let delayLevel = "DELAY"
    public static let wait = "WAIT"
    public static let realTopic = "REAL_TOPIC"
    public static let realQueueId = "REAL_QID"
    public static let transactionPrepared = "TRAN_MSG"
    public static let producerGroup = "PGROUP"
    public static let cluster = "CLUSTER"
    public static let innerNum = "INNER_NUM"
    public static let innerBase = "INNER_BASE"
    public static let transactionCheckTimes = "TRANSACTION_CHECK_TIMES"
    public static let transactionPreparedQueueOffset = "TRAN_PREPARED_QUEUE_OFFSET"
    public static let checkImmunityTimeInSeconds = "CHECK_IMMUNITY_TIME_IN_SECONDS"
    public static let propertyCRC = "__CRC32#"

    /// Calls `body` with the byte ranges of each pair Java would keep, in order (duplicates
    /// included; the caller decides that the last one wins).
    @inlinable
    public static func forEachPair(
        in bytes: UnsafeRawBufferPointer,
        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) -> Void
    ) {
        let count = bytes.count
        guard count > 0, let base = bytes.baseAddress else { return }
        var index = 0
        while index < count {
            var end = index
            var separator = -1
            while true {
                end = nextSeparator(base, from: end, count: count)
                if end == count || base.load(fromByteOffset: end, as: UInt8.self) == propertySeparator { break }
                if separator < 0 { separator = end }
                end += 1
            }
            if separator > index && separator < end - 1 {
                body(UnsafeRawBufferPointer(start: base + index, count: separator - index),
                     UnsafeRawBufferPointer(start: base + separator + 1, count: end - separator - 1))
            }
            index = end + 1
        }
    }

    /// The position of the first 0x01 or 0x02 at or after `start`, or `count`. Eight bytes a
    /// step (this runs over every record's properties in rebuild, recover and verify): a byte
    /// equal to c makes `w ^ c·0x01…01` hold a zero byte, and the lowest flagged byte of the
    /// classic zero-byte test is always a true one.
    @inlinable @inline(__always)
    static func nextSeparator(_ base: UnsafeRawPointer, from start: Int, count: Int) -> Int {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        var i = start
        while i + 8 <= count {
            let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            let a = word ^ ones, b = word ^ (ones &* 2)
            let found = (((a &- ones) & ~a) | ((b &- ones) & ~b)) & highs
            if found != 0 { return i + found.trailingZeroBitCount >> 3 }
            i += 8
        }
        while i < count {
            let byte = base.load(fromByteOffset: i, as: UInt8.self)
            if byte == nameValueSeparator || byte == propertySeparator { return i }
            i += 1
        }
        return count
    }

    /// The value of `key` (the last occurrence), as raw bytes.
    @inlinable
    public static func value(of key: StaticString, in bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        let keyBytes = UnsafeRawBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount)
        var found: UnsafeRawBufferPointer?
        forEachPair(in: bytes) { k, v in
            if k.count == keyBytes.count && k.elementsEqual(keyBytes) { found = v }
        }
        return found
    }

    /// The parsed map as `[key: value]` (Java's `HashMap`; later duplicates win).
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> [String: String] {
        var map: [String: String] = [:]
        forEachPair(in: bytes) { k, v in
            map[String(decoding: k, as: UTF8.self)] = String(decoding: v, as: UTF8.self)
        }
        return map
    }

    public static func parse(_ bytes: [UInt8]) -> [String: String] {
        bytes.withUnsafeBytes { parse($0) }
    }

    /// The parsed pairs in stored order, duplicates kept (for display and exact rewriting).
    public static func pairs(_ bytes: UnsafeRawBufferPointer) -> [(key: String, value: String)] {
        var result: [(key: String, value: String)] = []
        forEachPair(in: bytes) { k, v in
            result.append((String(decoding: k, as: UTF8.self), String(decoding: v, as: UTF8.self)))
        }
        return result
    }

    /// `messageProperties2String`: pairs joined as `k 0x01 v 0x02`. 4.9.1–5.1.x drop the final
    /// 0x02 (`trailingSeparator: false`, what 4.9.8 writes); ≤ 4.9.0 and 5.2+ keep it.
    public static func encode(_ pairs: [(key: String, value: String)], trailingSeparator: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        for (key, value) in pairs {
            out.append(contentsOf: key.utf8)
            out.append(nameValueSeparator)
            out.append(contentsOf: value.utf8)
            out.append(propertySeparator)
        }
        if !trailingSeparator, out.last == propertySeparator { out.removeLast() }
        return out
    }

    /// Tokens of a KEYS value: split on single spaces, empty tokens skipped (`KEY_SEPARATOR`).
    public static func splitKeys(_ keys: String) -> [String] {
        keys.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
    }
}

extension MessageProperties {
    /// The stored string without every pair whose name is `key`, other pairs and separators kept
    /// in order (what Java's HashMap.remove + re-serialise gives for the remaining keys). A final
    /// separator is kept only if the input had one.
    public static func removing(_ key: String, from bytes: [UInt8]) -> [UInt8] {
        let keyBytes = Array(key.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        var wroteAny = false
        while index < bytes.count {
            var end = index
            while end < bytes.count && bytes[end] != propertySeparator { end += 1 }
            let pair = bytes[index..<end]
            let name = pair.firstIndex(of: nameValueSeparator).map { bytes[index..<$0] } ?? pair
            if !name.elementsEqual(keyBytes) && !pair.isEmpty {
                if wroteAny { out.append(propertySeparator) }
                out.append(contentsOf: pair)
                wroteAny = true
            }
            index = end + 1
        }
        if bytes.last == propertySeparator && wroteAny { out.append(propertySeparator) }
        return out
    }
}
