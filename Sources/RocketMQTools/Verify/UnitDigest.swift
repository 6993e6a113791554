// Order-independent 64-bit digests that let a clean consume queue or index be proven against
// the log without a random read of the commitlog per unit or entry.
//
// The log pass, which has every record in cache anyway, adds up one mixed value per record
// (per queue: queue offset, physical offset, size, tagsCode; per index: physical offset, key
// hash). The queue/index pass adds up the same values from its units/entries, reading only its
// own file. Equal sums mean the same multiset (a corrupted unit matches by chance with
// probability 2^-64); any difference falls back to the unit-by-unit comparison with the
// records, which is what reports the findings.

enum UnitDigest {
    /// SplitMix64's finalizer: every input bit affects every output bit.
    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A consume queue unit at `queueOffset` = the record the dispatcher would write it for.
    @inline(__always)
    static func unit(queueOffset: Int64, physicalOffset: Int64, size: Int32, tagsCode: Int64) -> UInt64 {
        var h = mix(UInt64(bitPattern: queueOffset) &+ 0x9E37_79B9_7F4A_7C15)
        h = mix(h ^ UInt64(bitPattern: physicalOffset))
        h = mix(h ^ UInt64(UInt32(bitPattern: size)))
        return mix(h ^ UInt64(bitPattern: tagsCode))
    }

    /// An index entry = a key of the record at `physicalOffset`, stored `timeDiff` seconds after
    /// its file's beginTimestamp.
    @inline(__always)
    static func entry(physicalOffset: Int64, keyHash: Int32, timeDiff: Int32) -> UInt64 {
        var h = mix(UInt64(bitPattern: physicalOffset) ^ 0x5851_F42D_4C95_7F2D)
        h = mix(h ^ UInt64(UInt32(bitPattern: keyHash)))
        return mix(h ^ UInt64(UInt32(bitPattern: timeDiff)))
    }
}
