// The verdict RocketMQ's `CommitLog.checkMessageAndReturnSize` gives a record.
//
// `msgSize`/`success` are exactly what the broker computes (FORMAT.md §11.3), so recovery
// previews and verify agree with a real broker; `failure` says why, for people.

public struct StoreCheck: Sendable, Hashable {
    /// RocketMQ's `msgSize`: TOTALSIZE on success, 0 for a blank, -1 or TOTALSIZE on failure.
    public var msgSize: Int32
    public var success: Bool
    public var failure: RecordFailure?

    public static func ok(_ size: Int32) -> StoreCheck { StoreCheck(msgSize: size, success: true, failure: nil) }
    public static func failed(_ failure: RecordFailure, size: Int32 = -1) -> StoreCheck {
        StoreCheck(msgSize: size, success: false, failure: failure)
    }
}

/// Why a record fails the store's check (or cannot be decoded at all).
public enum RecordFailure: Sendable, Hashable, CustomStringConvertible {
    /// TOTALSIZE is negative (Java: NegativeArraySizeException).
    case negativeTotalSize(Int32)
    /// A field runs past the end of the file (Java: BufferUnderflowException).
    case truncated(field: RecordField, needed: Int, available: Int)
    /// A length field exceeds TOTALSIZE or is negative (Java: IndexOutOfBoundsException).
    case lengthOutOfRange(field: RecordField, length: Int, totalSize: Int32)
    case bodyCRCMismatch(stored: Int32, computed: Int32)
    /// TOTALSIZE differs from the size formula (`calMsgLength`).
    case sizeMismatch(totalSize: Int32, computed: Int32)
    /// DELAY on SCHEDULE_TOPIC_XXXX that `Integer.parseInt` rejects (its text, cut at 32 bytes).
    case invalidDelayLevel(DelayText)
    /// A V2 record read with a 4.x broker's rules.
    case unsupportedVersion(Int32)

    public var code: String {
        switch self {
        case .negativeTotalSize: "record.negative-size"
        case .truncated: "record.truncated"
        case .lengthOutOfRange: "record.length-out-of-range"
        case .bodyCRCMismatch: "record.crc-mismatch"
        case .sizeMismatch: "record.size-mismatch"
        case .invalidDelayLevel: "record.bad-delay-level"
        case .unsupportedVersion: "record.unsupported-version"
        }
    }

    public var description: String {
        switch self {
        case .negativeTotalSize(let size):
            "TOTALSIZE \(size) is negative"
        case .truncated(let field, let needed, let available):
            "\(field) needs \(needed) bytes but only \(available) remain in the file"
        case .lengthOutOfRange(let field, let length, let totalSize):
            "\(field) \(length) is out of range for TOTALSIZE \(totalSize)"
        case .bodyCRCMismatch(let stored, let computed):
            "body CRC mismatch: stored \(stored) (0x\(String(UInt32(bitPattern: stored), radix: 16))), computed \(computed) (0x\(String(UInt32(bitPattern: computed), radix: 16)))"
        case .sizeMismatch(let totalSize, let computed):
            "TOTALSIZE \(totalSize) differs from the size formula \(computed)"
        case .invalidDelayLevel(let text):
            "DELAY \"\(text)\" on SCHEDULE_TOPIC_XXXX is not an integer"
        case .unsupportedVersion(let magic):
            "magic \(magicHex(magic)) (V2) is not readable by a 4.x broker"
        }
    }
}

/// Options for the check, with RocketMQ's names and defaults.
public struct RecordCheckOptions: Sendable, Hashable {
    /// `checkCRCOnRecover` (default true). The dispatch path checks no CRC.
    public var checkCRC: Bool
    /// Accept V2 records (5.x). A 4.9.8 broker treats them as an illegal magic.
    public var acceptVersion2: Bool
    public var delayLevels: DelayLevelTable
    /// At the end of data (a zero header), check that the rest of the file is zero too
    /// (`EndOfData.restIsZero`). Walks that only dispatch turn it off: on a preallocated
    /// 1 GiB file the check reads every page of the tail, and for a sparse file the kernel
    /// zero-fills each of them. Off, a zero header ends the data as `.zeroFilled` with
    /// `restIsZero` false (not checked).
    public var checksZeroTail: Bool

    public init(checkCRC: Bool = true, acceptVersion2: Bool = true, delayLevels: DelayLevelTable = .default,
                checksZeroTail: Bool = true) {
        self.checkCRC = checkCRC
        self.acceptVersion2 = acceptVersion2
        self.delayLevels = delayLevels
        self.checksZeroTail = checksZeroTail
    }

    public static let recovery = RecordCheckOptions()
    public static let dispatch = RecordCheckOptions(checkCRC: false)
}
