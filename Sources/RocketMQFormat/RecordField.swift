// The record fields a failed check can name (RocketMQ's own names, FORMAT.md §2). An enum, not
// a String, so that a record's verdict holds no reference: decoding a million records copies
// it a million times.

public enum RecordField: String, Sendable, Hashable, CustomStringConvertible {
    case bornTimestamp = "BORNTIMESTAMP"
    case bornHost = "BORNHOST"
    case storeTimestamp = "STORETIMESTAMP"
    case storeHostAddress = "STOREHOSTADDRESS"
    case bodyLength = "BODYLENGTH"
    case body = "BODY"
    case topicLength = "TOPICLENGTH"
    case topic = "TOPIC"
    case propertiesLength = "PROPERTIESLENGTH"
    case properties = "PROPERTIES"

    public var description: String { rawValue }
}
