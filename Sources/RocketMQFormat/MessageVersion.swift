// Record magic codes (FORMAT.md §2.1, §2.3). The magic is the only way to tell V1 from V2.

public enum MessageVersion: Sendable, Hashable {
    /// 0xDAA320A7, 1-byte signed topic length. The only version 4.x writes or reads.
    case v1
    /// 0xDAA320AB, 2-byte topic length. Written by 5.1.0+ for topics longer than 127.
    case v2

    public static let v1Magic = Int32(bitPattern: 0xDAA3_20A7)
    public static let v2Magic = Int32(bitPattern: 0xDAA3_20AB)
    /// End-of-file blank marker.
    public static let blankMagic = Int32(bitPattern: 0xCBD4_3194)

    public init?(magic: Int32) {
        switch magic {
        case Self.v1Magic: self = .v1
        case Self.v2Magic: self = .v2
        default: return nil
        }
    }

    public var magic: Int32 { self == .v1 ? Self.v1Magic : Self.v2Magic }
    public var topicLengthWidth: Int { self == .v1 ? 1 : 2 }
    public var name: String { self == .v1 ? "V1" : "V2" }

    /// The version RocketMQ 5.x picks for a topic (`autoMessageVersionOnTopicLen`): V2 when the
    /// topic's UTF-16 length exceeds 127.
    public static func automatic(forTopic topic: String) -> MessageVersion {
        topic.utf16.count > 127 ? .v2 : .v1
    }
}

/// Hex text of a magic as the fixtures print it: `0xdaa320a7`.
public func magicHex(_ magic: Int32) -> String {
    let hex = String(UInt32(bitPattern: magic), radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - hex.count)) + hex
}
