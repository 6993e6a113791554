// The `checkpoint` file (`StoreCheckpoint.java`), FORMAT.md §9.
//
// One 4096-byte page of big-endian longs; the rest is zero. 4.9.8 writes three longs, 5.x two
// more. A 4.9.8 file has zeros where the 5.x fields would be, so those are plain Int64 values
// that are 0 when absent, and `hasVersion5Fields` tells whether either is set.

public struct StoreCheckpoint: Sendable, Hashable {
    /// The file is mmapped as one OS page.
    public static let fileSize = 4096
    /// Bytes used by 4.9.8 (three longs).
    public static let version4Size = 24
    /// Bytes used by 5.x (five longs).
    public static let version5Size = 40

    public var physicMsgTimestamp: Int64
    public var logicsMsgTimestamp: Int64
    public var indexMsgTimestamp: Int64
    /// [5.x] The master's flushed offset (slave-acting-master / controller mode); 0 otherwise.
    public var masterFlushedOffset: Int64
    /// [5.x] The confirm offset; 0 in 4.9.8 files.
    public var confirmPhyOffset: Int64

    public init(
        physicMsgTimestamp: Int64 = 0, logicsMsgTimestamp: Int64 = 0, indexMsgTimestamp: Int64 = 0,
        masterFlushedOffset: Int64 = 0, confirmPhyOffset: Int64 = 0
    ) {
        self.physicMsgTimestamp = physicMsgTimestamp
        self.logicsMsgTimestamp = logicsMsgTimestamp
        self.indexMsgTimestamp = indexMsgTimestamp
        self.masterFlushedOffset = masterFlushedOffset
        self.confirmPhyOffset = confirmPhyOffset
    }

    /// Decodes a checkpoint. Java maps a full page whatever the file length, so a shorter buffer
    /// is accepted as long as it holds the three 4.9.8 longs; missing 5.x longs read as 0.
    public init(decoding bytes: UnsafeRawBufferPointer) throws(FormatError) {
        let names = ["physicMsgTimestamp", "logicsMsgTimestamp", "indexMsgTimestamp"]
        var values: [Int64] = []
        for (i, name) in names.enumerated() {
            guard let value = bytes.readBigEndian(Int64.self, at: 8 * i) else {
                throw FormatError(
                    structure: "checkpoint", field: name, offset: 8 * i,
                    expected: "8 bytes (a checkpoint is \(Self.fileSize) bytes), file has \(bytes.count)")
            }
            values.append(value)
        }
        self.init(
            physicMsgTimestamp: values[0], logicsMsgTimestamp: values[1], indexMsgTimestamp: values[2],
            masterFlushedOffset: bytes.readBigEndian(at: 24) ?? 0,
            confirmPhyOffset: bytes.readBigEndian(at: 32) ?? 0)
    }

    /// True when either 5.x field is non-zero (a 4.9.8 broker never writes them).
    public var hasVersion5Fields: Bool { masterFlushedOffset != 0 || confirmPhyOffset != 0 }

    /// The full 4096-byte page. The 5.x longs are written as they are (zeros for 4.9.8).
    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: Self.fileSize)
        writer.write(physicMsgTimestamp)
        writer.write(logicsMsgTimestamp)
        writer.write(indexMsgTimestamp)
        writer.write(masterFlushedOffset)
        writer.write(confirmPhyOffset)
        writer.write(contentsOf: repeatElement(0, count: Self.fileSize - Self.version5Size))
        return writer.bytes
    }

    /// Stores the five longs at the start of a mutable page (an mmap). False when it is too small.
    @discardableResult
    public func store(into buffer: UnsafeMutableRawBufferPointer) -> Bool {
        guard buffer.count >= Self.version5Size else { return false }
        let values = [physicMsgTimestamp, logicsMsgTimestamp, indexMsgTimestamp, masterFlushedOffset, confirmPhyOffset]
        for (i, value) in values.enumerated() {
            buffer.storeBytes(of: value.bigEndian, toByteOffset: 8 * i, as: Int64.self)
        }
        return true
    }

    /// `getMinTimestamp`: min(physic, logics) − 3 s, not below 0. Recovery trusts data up to here.
    public var minTimestamp: Int64 {
        Swift.max(0, Swift.min(physicMsgTimestamp, logicsMsgTimestamp) &- 3000)
    }

    /// `getMinTimestampIndex`: also bounded by the index timestamp (when the index is trusted).
    public var minTimestampIndex: Int64 { Swift.min(minTimestamp, indexMsgTimestamp) }
}
