// One 46-byte [5.x] BatchConsumeQueue unit (`BatchConsumeQueue.CQ_STORE_UNIT_SIZE`), FORMAT.md §7.4.
//
// BCQ files hold these units in arrival order, followed by zeros. Unlike a ConsumeQueue, the
// unit index is not the queue offset: each unit covers queue offsets
// [msgBaseOffset, msgBaseOffset + batchSize).

public struct BatchConsumeQueueUnit: Sendable, Hashable {
    public var physicalOffset: Int64
    public var size: Int32
    public var tagsCode: Int64
    public var storeTime: Int64
    /// The first queue offset the unit covers (the record's QUEUEOFFSET / INNER_BASE).
    public var msgBaseOffset: Int64
    /// INNER_NUM of an inner batch record, 1 for a normal record.
    public var batchSize: Int16
    /// Written as −1.
    public var compactedOffset: Int32

    public static let size = 46
    /// Default `mapperFileSizeBatchConsumeQueue` = 300000 units.
    public static let defaultFileSize = 300_000 * size

    public init(physicalOffset: Int64, size: Int32, tagsCode: Int64, storeTime: Int64, msgBaseOffset: Int64,
                batchSize: Int16, compactedOffset: Int32 = -1) {
        self.physicalOffset = physicalOffset
        self.size = size
        self.tagsCode = tagsCode
        self.storeTime = storeTime
        self.msgBaseOffset = msgBaseOffset
        self.batchSize = batchSize
        self.compactedOffset = compactedOffset
    }

    /// Decodes the unit at `offset` in `buffer`.
    public init(decoding buffer: UnsafeRawBufferPointer, at offset: Int) throws(FormatError) {
        guard offset >= 0, offset <= buffer.count - Self.size else {
            throw FormatError(
                structure: "batch consume queue unit", field: "unit", offset: offset,
                expected: "\(Self.size) bytes, found \(Swift.max(0, buffer.count - Swift.max(offset, 0)))")
        }
        physicalOffset = buffer.readBigEndianUnchecked(Int64.self, at: offset)
        size = buffer.readBigEndianUnchecked(Int32.self, at: offset + 8)
        tagsCode = buffer.readBigEndianUnchecked(Int64.self, at: offset + 12)
        storeTime = buffer.readBigEndianUnchecked(Int64.self, at: offset + 20)
        msgBaseOffset = buffer.readBigEndianUnchecked(Int64.self, at: offset + 28)
        batchSize = buffer.readBigEndianUnchecked(Int16.self, at: offset + 36)
        compactedOffset = buffer.readBigEndianUnchecked(Int32.self, at: offset + 38)
    }

    /// The 46 bytes of this unit (the last 4 reserved bytes zero).
    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: Self.size)
        writer.write(physicalOffset)
        writer.write(size)
        writer.write(tagsCode)
        writer.write(storeTime)
        writer.write(msgBaseOffset)
        writer.write(batchSize)
        writer.write(compactedOffset)
        writer.write(Int32(0))
        return writer.bytes
    }

    /// The broker's validity test: offset ≥ 0, size > 0, base ≥ 0 and batchSize > 0.
    public var isValid: Bool { physicalOffset >= 0 && size > 0 && msgBaseOffset >= 0 && batchSize > 0 }

    /// The next queue offset after the unit's batch.
    public var nextBaseOffset: Int64 { msgBaseOffset &+ Int64(batchSize) }
}
