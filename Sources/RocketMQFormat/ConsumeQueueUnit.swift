// One 20-byte ConsumeQueue unit (`CQ_STORE_UNIT_SIZE`), FORMAT.md §7.1.
//
// A CQ file is a plain array of these units followed by zeros. The helpers that map a queue
// offset to a file and a position live here too, because they only depend on the unit size.

public struct ConsumeQueueUnit: Sendable, Hashable, CustomStringConvertible {
    /// Commitlog PHYSICALOFFSET of the record.
    public var physicalOffset: Int64
    /// The record's TOTALSIZE.
    public var size: Int32
    /// Java hash of TAGS, the delivery time for `SCHEDULE_TOPIC_XXXX`, or a CQ-ext address.
    public var tagsCode: Int64

    /// `CQ_STORE_UNIT_SIZE`.
    public static let size = 20
    /// Default `mappedFileSizeConsumeQueue` = 300000 units.
    public static let defaultUnitsPerFile = 300_000
    public static let defaultFileSize = defaultUnitsPerFile * size

    /// The unit `fillPreBlank` writes before the first real unit of a queue whose first file
    /// starts at a non-zero queue offset.
    public static let preBlank = ConsumeQueueUnit(physicalOffset: 0, size: Int32.max, tagsCode: 0)

    public init(physicalOffset: Int64, size: Int32, tagsCode: Int64) {
        self.physicalOffset = physicalOffset
        self.size = size
        self.tagsCode = tagsCode
    }

    /// Decodes the unit at `offset` in `buffer`.
    public init(decoding buffer: UnsafeRawBufferPointer, at offset: Int) throws(FormatError) {
        guard offset >= 0, offset <= buffer.count - Self.size else {
            throw FormatError(
                structure: "consume queue unit", field: "unit", offset: offset,
                expected: "\(Self.size) bytes, found \(Swift.max(0, buffer.count - Swift.max(offset, 0)))")
        }
        physicalOffset = buffer.readBigEndianUnchecked(Int64.self, at: offset)
        size = buffer.readBigEndianUnchecked(Int32.self, at: offset + 8)
        tagsCode = buffer.readBigEndianUnchecked(Int64.self, at: offset + 12)
    }

    /// Appends the 20 bytes of this unit.
    public func encode(to writer: inout ByteWriter) {
        writer.write(physicalOffset)
        writer.write(size)
        writer.write(tagsCode)
    }

    /// The 20 bytes of this unit.
    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: Self.size)
        encode(to: &writer)
        return writer.bytes
    }

    /// Stores the unit at `offset` of a mutable buffer (an mmap). False when it does not fit.
    @discardableResult
    public func store(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) -> Bool {
        guard offset >= 0, offset <= buffer.count - Self.size else { return false }
        buffer.storeBytes(of: physicalOffset.bigEndian, toByteOffset: offset, as: Int64.self)
        buffer.storeBytes(of: size.bigEndian, toByteOffset: offset + 8, as: Int32.self)
        buffer.storeBytes(of: tagsCode.bigEndian, toByteOffset: offset + 12, as: Int64.self)
        return true
    }

    /// The broker's validity test: offset ≥ 0 and size > 0. Pre-blank units pass it too.
    public var isValid: Bool { physicalOffset >= 0 && size > 0 }

    /// (0, 0x7FFFFFFF, 0), written by `fillPreBlank`.
    public var isPreBlank: Bool { self == Self.preBlank }

    /// The unused space after the last written unit.
    public var isAllZero: Bool { physicalOffset == 0 && size == 0 && tagsCode == 0 }

    /// End of the referenced record in the commitlog.
    public var endOffset: Int64 { physicalOffset &+ Int64(size) }

    public var description: String {
        "ConsumeQueueUnit(physicalOffset: \(physicalOffset), size: \(size), tagsCode: \(tagsCode))"
    }
}

// MARK: - Queue offset ↔ file geometry (§7.1)

extension ConsumeQueueUnit {
    /// Where the unit for queue offset `queueOffset` lives: the start (= file name, a logical byte
    /// offset) of its file and the byte position inside it. Nil for a negative offset, a file size
    /// that is not a positive multiple of 20, or overflow.
    public static func location(
        ofQueueOffset queueOffset: Int64, fileSize: Int
    ) -> (fileStart: Int64, position: Int)? {
        guard queueOffset >= 0, fileSize > 0, fileSize % size == 0 else { return nil }
        let (logical, overflow) = queueOffset.multipliedReportingOverflow(by: Int64(size))
        guard !overflow else { return nil }
        let position = logical % Int64(fileSize)
        return (logical - position, Int(position))
    }

    /// The queue offset of the unit at `position` in the file that starts at `fileStart`.
    public static func queueOffset(fileStart: Int64, position: Int) -> Int64 {
        (fileStart &+ Int64(position)) / Int64(size)
    }

    // MARK: CQ ext addresses (§7.3)

    /// `ConsumeQueueExt.isExtAddr`: tagsCode ≤ Integer.MIN_VALUE − 1 is an address in the ext
    /// stream, not a tag hash (a hash is an i32, so it can never be that small).
    public static func isExtAddress(_ tagsCode: Int64) -> Bool {
        tagsCode <= Int64(Int32.min) - 1
    }

    /// Byte offset in the ext stream of an ext address (`address − Long.MIN_VALUE`).
    public static func extOffset(ofAddress address: Int64) -> Int64 {
        address &- Int64.min
    }

    /// The ext address of a byte offset in the ext stream (`offset + Long.MIN_VALUE`).
    public static func extAddress(ofOffset offset: Int64) -> Int64 {
        offset &+ Int64.min
    }
}
