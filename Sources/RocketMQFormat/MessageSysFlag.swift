// SYSFLAG bits of a commitlog record (FORMAT.md §3, `MessageSysFlag.java`).

public struct MessageSysFlag: OptionSet, Sendable, Hashable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let compressed = MessageSysFlag(rawValue: 0x1)
    public static let multiTags = MessageSysFlag(rawValue: 0x2)
    public static let bornHostV6 = MessageSysFlag(rawValue: 0x10)
    public static let storeHostV6 = MessageSysFlag(rawValue: 0x20)
    public static let needUnwrap = MessageSysFlag(rawValue: 0x40)
    public static let innerBatch = MessageSysFlag(rawValue: 0x80)

    public static let transactionMask: Int32 = 0xC
    public static let compressionTypeMask: Int32 = 0x700
    /// Bits 11–31 are never set by RocketMQ.
    public static let unusedMask: Int32 = ~0x7FF

    public var transactionType: TransactionType {
        TransactionType(rawValue: rawValue & Self.transactionMask) ?? .notType
    }

    /// `(sysFlag & 0x700) >> 8`; only meaningful when `compressed` is set.
    public var compressionTypeBits: Int32 { (rawValue & Self.compressionTypeMask) >> 8 }

    public var bornHostLength: Int { contains(.bornHostV6) ? 20 : 8 }
    public var storeHostLength: Int { contains(.storeHostV6) ? 20 : 8 }

    /// A copy with the transaction bits replaced.
    public func with(transactionType: TransactionType) -> MessageSysFlag {
        MessageSysFlag(rawValue: (rawValue & ~Self.transactionMask) | transactionType.rawValue)
    }
}

/// The transaction type in SYSFLAG bits 2–3.
public enum TransactionType: Int32, Sendable, CaseIterable {
    case notType = 0x0
    case prepared = 0x4
    case commit = 0x8
    case rollback = 0xC

    /// NOT and COMMIT records get a queue offset and a consume queue unit; the others do not.
    public var isDispatchedToConsumeQueue: Bool { self == .notType || self == .commit }

    public var name: String {
        switch self {
        case .notType: "not"
        case .prepared: "prepared"
        case .commit: "commit"
        case .rollback: "rollback"
        }
    }
}
