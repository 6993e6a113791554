// What a reader finds at a position of a commitlog file.

public enum CommitLogEntry {
    /// A record with a message magic. `record.check` says whether RocketMQ accepts it.
    case message(MessageRecordView)
    /// The end-of-file marker: the rest of the file is unused.
    case blank(BlankMarker)
    /// No record starts here: the end of the data in this file.
    case end(EndOfData)
}

/// The blank magic at `position`; TOTALSIZE should equal the bytes left in the file.
public struct BlankMarker: Sendable, Hashable {
    public var position: Int
    public var totalSize: Int32
    public var bytesToFileEnd: Int

    /// Size of the marker itself (`END_FILE_MIN_BLANK_LENGTH`).
    public static let length = 8

    public static func encode(totalSize: Int32) -> [UInt8] {
        var writer = ByteWriter(capacity: 8)
        writer.write(totalSize)
        writer.write(MessageVersion.blankMagic)
        return writer.bytes
    }
}

/// Why no record starts at `position`.
public struct EndOfData: Sendable, Hashable {
    public enum Reason: Sendable, Hashable {
        /// Every byte from here to the end of the file is zero (the normal end of the last file).
        case zeroFilled
        /// The magic is neither a message nor the blank magic.
        case illegalMagic(Int32)
        /// Fewer than 8 bytes remain: no TOTALSIZE + MAGIC can fit.
        case fewerThan8Bytes
    }

    public var position: Int
    public var reason: Reason
    /// The TOTALSIZE field, when 4 bytes were there.
    public var totalSizeField: Int32?
    /// True when all bytes from `position` to the end of the file are zero.
    public var restIsZero: Bool

    public var description: String {
        switch reason {
        case .zeroFilled: "zero-filled to end of file"
        case .illegalMagic(let magic): "illegal magic code \(magicHex(magic))"
        case .fewerThan8Bytes: "fewer than 8 bytes left in file"
        }
    }
}
