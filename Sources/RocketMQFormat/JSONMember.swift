// One member of a parsed JSON object (see JSONValue).

/// One `key: value` member of a JSON object.
public struct JSONMember: Sendable, Hashable {
    public var key: String
    public var value: JSONValue
    /// True when the key was (or should be) written without quotes, as fastjson writes
    /// non-string map keys: `{1:20}`.
    public var isBareKey: Bool

    public init(key: String, value: JSONValue, isBareKey: Bool = false) {
        self.key = key
        self.value = value
        self.isBareKey = isBareKey
    }
}
