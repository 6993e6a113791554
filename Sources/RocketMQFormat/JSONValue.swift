// A parsed JSON value, as produced by `FastJSON` (the config files of FORMAT.md §17).
//
// Objects keep their members in file order and remember whether a key was written bare
// (fastjson writes integer map keys unquoted), so a value can be written back the same way.

public enum JSONValue: Sendable, Hashable {
    case object([JSONMember])
    case array([JSONValue])
    case string(String)
    /// A number written without fraction or exponent that fits in an Int64.
    case integer(Int64)
    /// Any other number.
    case double(Double)
    case bool(Bool)
    case null

    /// The value of the member named `key`, when this is an object. With duplicate keys the
    /// last one wins, as when fastjson fills a map.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last { $0.key == key }?.value
    }

    public var members: [JSONMember]? {
        if case .object(let members) = self { return members }
        return nil
    }

    public var elements: [JSONValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    public var stringValue: String? {
        if case .string(let string) = self { return string }
        return nil
    }

    /// An integer, also from a string holding one (fastjson converts both ways).
    public var int64Value: Int64? {
        switch self {
        case .integer(let value): return value
        case .string(let text): return JavaString.parseLong(text)
        default: return nil
        }
    }

    /// `int64Value` when it fits in an Int32.
    public var int32Value: Int32? { int64Value.flatMap { Int32(exactly: $0) } }

    /// A boolean, also from the strings "true"/"false".
    public var boolValue: Bool? {
        switch self {
        case .bool(let value): return value
        case .string("true"): return true
        case .string("false"): return false
        default: return nil
        }
    }

    public var isNull: Bool { self == .null }
}
