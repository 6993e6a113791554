// `dataVersion` of topics.json and subscriptionGroup.json (`DataVersion.java`).

public struct DataVersion: Sendable, Hashable {
    public var timestamp: Int64
    public var counter: Int64
    /// [5.x] Only written by 5.x brokers.
    public var stateVersion: Int64?

    public init(timestamp: Int64 = 0, counter: Int64 = 0, stateVersion: Int64? = nil) {
        self.timestamp = timestamp
        self.counter = counter
        self.stateVersion = stateVersion
    }

    /// Nil when the value is missing or not an object; unreadable numbers read as 0.
    init?(json: JSONValue?) {
        guard let json, json.members != nil else { return nil }
        self.init(
            timestamp: json["timestamp"]?.int64Value ?? 0, counter: json["counter"]?.int64Value ?? 0,
            stateVersion: json["stateVersion"]?.int64Value)
    }
}
