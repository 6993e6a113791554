// FORMAT.md §18 item 12 (§6): the Java client's UNIQ_KEY is hex, 32 digits (IPv4 client) or 56
// (IPv6). Other clients differ, so a different key is only worth an info finding, and one per
// commitlog file (with a count) rather than one per record: a store written by such a client
// would otherwise drown every other finding.
//
// The check runs on every record that has a UNIQ_KEY, so it looks at 8 bytes at a time.

import RocketMQStore

struct UniqueKeyFormat {
    /// Records with an odd UNIQ_KEY in a stretch of the log: the first one and how many.
    struct Odd: Sendable {
        var physicalOffset: Int64
        var value: String
        var count: Int

        mutating func add(_ other: Odd?) {
            guard let other else { return }
            if other.physicalOffset < physicalOffset {
                physicalOffset = other.physicalOffset
                value = other.value
            }
            count += other.count
        }
    }

    /// True when `key` is 32 or 56 hex digits (either case).
    @inline(__always)
    static func isValid(_ key: UnsafeRawBufferPointer) -> Bool {
        guard key.count == 32 || key.count == 56, let base = key.baseAddress else { return false }
        var offset = 0
        while offset < key.count {
            let word = UInt64(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            guard isHexWord(word) else { return false }
            offset += 8
        }
        return true
    }

    /// Whether all 8 bytes of `word` are ASCII hex digits. Per byte, with the high bit clear,
    /// x + (0x80 − lo) sets the high bit iff x ≥ lo and x + (0x7F − hi) iff x > hi; no sum
    /// carries into the next byte.
    @inline(__always)
    static func isHexWord(_ word: UInt64) -> Bool {
        let high: UInt64 = 0x8080_8080_8080_8080
        guard word & high == 0 else { return false }
        func inRange(_ x: UInt64, _ lo: UInt8, _ hi: UInt8) -> UInt64 {
            let ones: UInt64 = 0x0101_0101_0101_0101
            let atLeast = x &+ ones &* UInt64(0x80 - lo)
            let above = x &+ ones &* UInt64(0x7F - hi)
            return atLeast & ~above & high
        }
        let digit = inRange(word, 0x30, 0x39)  // 0-9
        let letter = inRange(word | 0x2020_2020_2020_2020, 0x61, 0x66)  // a-f, A-F
        return digit | letter == high
    }
}

extension UniqueKeyFormat {
    /// The one finding for a commitlog file's odd keys.
    static func finding(_ odd: Odd, file: SegmentFile) -> Finding {
        Finding(.info, "record.uniq-key-format", file: file.relativePath, position: odd.physicalOffset - file.fromOffset,
                physicalOffset: odd.physicalOffset, expected: "32 or 56 hex digits", found: odd.value,
                "\(odd.count) record(s) in this file have a UNIQ_KEY that is not 32 or 56 hex digits (not the Java client's format), first here")
    }
}
