// Big-endian, bounds-checked reads over raw bytes.
//
// RocketMQ writes every integer big-endian (FORMAT.md §0). Reads take absolute positions and
// return nil when the bytes are not there, so that decoding arbitrary input can never trap:
// callers turn a nil into a typed error that names the field and the offset.

extension UnsafeRawBufferPointer {
    /// Reads a big-endian integer at `offset`, or nil when fewer than `T.bitWidth / 8` bytes remain.
    @inlinable @inline(__always)
    public func readBigEndian<T: FixedWidthInteger>(_: T.Type = T.self, at offset: Int) -> T? {
        let width = MemoryLayout<T>.size
        guard offset >= 0, offset <= count - width, let base = baseAddress else { return nil }
        return T(bigEndian: (base + offset).loadUnaligned(as: T.self))
    }

    /// Reads a big-endian integer at `offset`; the caller has already checked the bounds.
    @inlinable @inline(__always)
    public func readBigEndianUnchecked<T: FixedWidthInteger>(_: T.Type = T.self, at offset: Int) -> T {
        T(bigEndian: (baseAddress! + offset).loadUnaligned(as: T.self))
    }

    /// The bytes in `offset ..< offset + length`, or nil when out of bounds.
    @inlinable
    public func slice(at offset: Int, length: Int) -> UnsafeRawBufferPointer? {
        guard offset >= 0, length >= 0, offset <= count, length <= count - offset else { return nil }
        guard let base = baseAddress else { return length == 0 ? UnsafeRawBufferPointer(start: nil, count: 0) : nil }
        return UnsafeRawBufferPointer(start: base + offset, count: length)
    }

    /// One past the last non-zero byte (0 when every byte is zero), eight bytes a step: where a
    /// file's data ends before its zero tail (digests, sparse writes).
    public var nonZeroEnd: Int {
        guard let base = baseAddress else { return 0 }
        var end = count
        while end >= 8 && (base + end - 8).loadUnaligned(as: UInt64.self) == 0 { end -= 8 }
        while end > 0 && base.load(fromByteOffset: end - 1, as: UInt8.self) == 0 { end -= 1 }
        return end
    }

    /// True when every byte in the range is zero (the range is clamped to the buffer).
    public func isAllZero(from offset: Int, to end: Int? = nil) -> Bool {
        let upper = Swift.min(end ?? count, count)
        var i = Swift.max(offset, 0)
        guard i < upper, let base = baseAddress else { return true }
        // 64 bytes a step (the compiler vectorises the OR): the tail of a preallocated file
        // is hundreds of megabytes of zeros.
        while i + 64 <= upper {
            let p = base + i
            var bits = p.loadUnaligned(as: UInt64.self)
            bits |= p.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
            bits |= p.loadUnaligned(fromByteOffset: 16, as: UInt64.self)
            bits |= p.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
            bits |= p.loadUnaligned(fromByteOffset: 32, as: UInt64.self)
            bits |= p.loadUnaligned(fromByteOffset: 40, as: UInt64.self)
            bits |= p.loadUnaligned(fromByteOffset: 48, as: UInt64.self)
            bits |= p.loadUnaligned(fromByteOffset: 56, as: UInt64.self)
            if bits != 0 { return false }
            i += 64
        }
        while i + 8 <= upper {
            if (base + i).loadUnaligned(as: UInt64.self) != 0 { return false }
            i += 8
        }
        while i < upper {
            if base.load(fromByteOffset: i, as: UInt8.self) != 0 { return false }
            i += 1
        }
        return true
    }
}

/// Appends big-endian values to a byte array (the encoder side).
public struct ByteWriter: Sendable {
    public var bytes: [UInt8]

    public init(capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    @inlinable
    public mutating func write<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    @inlinable
    public mutating func write<C: Collection>(contentsOf data: C) where C.Element == UInt8 {
        bytes.append(contentsOf: data)
    }

    public mutating func write(_ raw: UnsafeRawBufferPointer) {
        bytes.append(contentsOf: raw)
    }

    public var count: Int { bytes.count }
}

extension Array where Element == UInt8 {
    /// Overwrites a big-endian integer in place (used to patch offsets after encoding).
    @inlinable
    public mutating func setBigEndian<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        withUnsafeMutableBytes { raw in
            raw.storeBytes(of: value.bigEndian, toByteOffset: offset, as: T.self)
        }
    }
}
