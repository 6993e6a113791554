// One 20-byte IndexFile entry, FORMAT.md §8.1.

public struct IndexEntry: Sendable, Hashable {
    public static let size = 20

    /// Non-negative key hash (§8.2).
    public var keyHash: Int32
    /// Commitlog physical offset of the record.
    public var phyOffset: Int64
    /// Seconds since the header's beginTimestamp (clamped to [0, Int32.max] when written).
    public var timeDiff: Int32
    /// The previous entry of the same slot chain; 0 ends the chain.
    public var prevIndex: Int32

    public init(keyHash: Int32, phyOffset: Int64, timeDiff: Int32, prevIndex: Int32) {
        self.keyHash = keyHash
        self.phyOffset = phyOffset
        self.timeDiff = timeDiff
        self.prevIndex = prevIndex
    }

    /// Decodes the entry at byte `offset` (use `IndexFileLayout.entryPosition`).
    public init(decoding buffer: UnsafeRawBufferPointer, at offset: Int) throws(FormatError) {
        guard offset >= 0, offset <= buffer.count - Self.size else {
            throw FormatError(
                structure: "index entry", field: "entry", offset: offset,
                expected: "\(Self.size) bytes, found \(Swift.max(0, buffer.count - Swift.max(offset, 0)))")
        }
        keyHash = buffer.readBigEndianUnchecked(at: offset)
        phyOffset = buffer.readBigEndianUnchecked(at: offset + 4)
        timeDiff = buffer.readBigEndianUnchecked(at: offset + 12)
        prevIndex = buffer.readBigEndianUnchecked(at: offset + 16)
    }

    /// The store time this entry claims, given the file's beginTimestamp: begin + timeDiff·1000.
    public func timestamp(beginTimestamp: Int64) -> Int64 {
        beginTimestamp &+ Int64(timeDiff) &* 1000
    }

    public var isAllZero: Bool { keyHash == 0 && phyOffset == 0 && timeDiff == 0 && prevIndex == 0 }

    public func encode(to writer: inout ByteWriter) {
        writer.write(keyHash)
        writer.write(phyOffset)
        writer.write(timeDiff)
        writer.write(prevIndex)
    }

    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: Self.size)
        encode(to: &writer)
        return writer.bytes
    }

    /// Stores the entry at byte `offset` of a mutable buffer. False when it does not fit.
    @discardableResult
    public func store(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) -> Bool {
        guard offset >= 0, offset <= buffer.count - Self.size else { return false }
        buffer.storeBytes(of: keyHash.bigEndian, toByteOffset: offset, as: Int32.self)
        buffer.storeBytes(of: phyOffset.bigEndian, toByteOffset: offset + 4, as: Int64.self)
        buffer.storeBytes(of: timeDiff.bigEndian, toByteOffset: offset + 12, as: Int32.self)
        buffer.storeBytes(of: prevIndex.bigEndian, toByteOffset: offset + 16, as: Int32.self)
        return true
    }
}
