// The 40-byte header at the start of every IndexFile (`IndexHeader.java`), FORMAT.md §8.1.

public struct IndexHeader: Sendable, Hashable {
    public static let size = 40

    // Field positions, as in IndexHeader.java.
    static let beginTimestampIndex = 0
    static let endTimestampIndex = 8
    static let beginPhyoffsetIndex = 16
    static let endPhyoffsetIndex = 24
    static let hashSlotcountIndex = 32
    static let indexCountIndex = 36

    public var beginTimestamp: Int64
    public var endTimestamp: Int64
    public var beginPhyOffset: Int64
    public var endPhyOffset: Int64
    /// Number of non-empty slots.
    public var hashSlotCount: Int32
    /// 1 + number of entries, as stored. A fresh file stores 0; see `effectiveIndexCount`.
    public var indexCount: Int32

    public init(
        beginTimestamp: Int64 = 0, endTimestamp: Int64 = 0, beginPhyOffset: Int64 = 0,
        endPhyOffset: Int64 = 0, hashSlotCount: Int32 = 0, indexCount: Int32 = 0
    ) {
        self.beginTimestamp = beginTimestamp
        self.endTimestamp = endTimestamp
        self.beginPhyOffset = beginPhyOffset
        self.endPhyOffset = endPhyOffset
        self.hashSlotCount = hashSlotCount
        self.indexCount = indexCount
    }

    /// Decodes the header at `offset` (normally 0).
    public init(decoding buffer: UnsafeRawBufferPointer, at offset: Int = 0) throws(FormatError) {
        guard offset >= 0, offset <= buffer.count - Self.size else {
            throw FormatError(
                structure: "index header", field: "header", offset: offset,
                expected: "\(Self.size) bytes, found \(Swift.max(0, buffer.count - Swift.max(offset, 0)))")
        }
        beginTimestamp = buffer.readBigEndianUnchecked(at: offset + Self.beginTimestampIndex)
        endTimestamp = buffer.readBigEndianUnchecked(at: offset + Self.endTimestampIndex)
        beginPhyOffset = buffer.readBigEndianUnchecked(at: offset + Self.beginPhyoffsetIndex)
        endPhyOffset = buffer.readBigEndianUnchecked(at: offset + Self.endPhyoffsetIndex)
        hashSlotCount = buffer.readBigEndianUnchecked(at: offset + Self.hashSlotcountIndex)
        indexCount = buffer.readBigEndianUnchecked(at: offset + Self.indexCountIndex)
    }

    /// `IndexHeader.load` turns a stored indexCount ≤ 0 into 1 (a new file has 0 on disk), so
    /// every algorithm works with this value.
    public var effectiveIndexCount: Int32 { indexCount <= 0 ? 1 : indexCount }

    /// Number of entries in use (entry 0 is never used).
    public var entryCount: Int { Int(effectiveIndexCount) - 1 }

    /// `IndexFile.isTimeMatched`: whether a query for [begin, end] searches this file.
    public func isTimeMatched(begin: Int64, end: Int64) -> Bool {
        (begin < beginTimestamp && end > endTimestamp)
            || (begin >= beginTimestamp && begin <= endTimestamp)
            || (end >= beginTimestamp && end <= endTimestamp)
    }

    public func encode(to writer: inout ByteWriter) {
        writer.write(beginTimestamp)
        writer.write(endTimestamp)
        writer.write(beginPhyOffset)
        writer.write(endPhyOffset)
        writer.write(hashSlotCount)
        writer.write(indexCount)
    }

    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: Self.size)
        encode(to: &writer)
        return writer.bytes
    }

    /// Stores the header at `offset` of a mutable buffer. False when it does not fit.
    @discardableResult
    public func store(into buffer: UnsafeMutableRawBufferPointer, at offset: Int = 0) -> Bool {
        guard offset >= 0, offset <= buffer.count - Self.size else { return false }
        buffer.storeBytes(of: beginTimestamp.bigEndian, toByteOffset: offset + Self.beginTimestampIndex, as: Int64.self)
        buffer.storeBytes(of: endTimestamp.bigEndian, toByteOffset: offset + Self.endTimestampIndex, as: Int64.self)
        buffer.storeBytes(of: beginPhyOffset.bigEndian, toByteOffset: offset + Self.beginPhyoffsetIndex, as: Int64.self)
        buffer.storeBytes(of: endPhyOffset.bigEndian, toByteOffset: offset + Self.endPhyoffsetIndex, as: Int64.self)
        buffer.storeBytes(of: hashSlotCount.bigEndian, toByteOffset: offset + Self.hashSlotcountIndex, as: Int32.self)
        buffer.storeBytes(of: indexCount.bigEndian, toByteOffset: offset + Self.indexCountIndex, as: Int32.self)
        return true
    }
}
