// One line of `rmqstore put` input (NDJSON) turned into what the engine appends.
//
// Fields: topic, queueId, body (text) | bodyBase64, tags, keys, properties (object) |
// propertiesRaw (the exact stored string, U+0001/U+0002 separators, kept verbatim), delayLevel,
// flag, bornHost ("ip:port" / "[v6]:port"), bornTimestamp (ms), sysFlag, reconsumeTimes,
// preparedTransactionOffset; or a `batch` array of {body|bodyBase64, flag, tags, keys,
// properties|propertiesRaw} sharing the line's other fields (its `properties` being the
// batch's own). Properties built from fields are serialized in Java HashMap order, as a
// producer's map would be: TAGS, KEYS, then the object's members, then DELAY.

import RocketMQFormat
import RocketMQStore

public enum PutRequest: Sendable {
    case single(MessageRecord, delayLevel: Int32?)
    case batch(MessageBatch)

    /// How many records the request appends.
    public var count: Int {
        switch self {
        case .single: 1
        case .batch(let batch): batch.items.count
        }
    }

    public struct Defaults: Sendable {
        public var storeHost: HostAddress
        public var bornHost: HostAddress
        public var now: @Sendable () -> Int64

        public init(storeHost: HostAddress, bornHost: HostAddress? = nil,
                    now: @escaping @Sendable () -> Int64 = { IndexWriter.currentTimeMillis() }) {
            self.storeHost = storeHost
            self.bornHost = bornHost ?? storeHost
            self.now = now
        }
    }

    /// Parses one input line; errors name the field and what was expected.
    public static func parse(_ line: [UInt8], defaults: Defaults) throws(FormatError) -> PutRequest {
        let json = try FastJSON.parse(line)
        guard case .object = json else { throw error("line", "a JSON object") }
        guard let topic = json["topic"]?.stringValue, !topic.isEmpty else { throw error("topic", "a non-empty string") }
        let queueId = try int32(json, "queueId") ?? 0
        let sysFlag = try int32(json, "sysFlag") ?? 0
        let bornTimestamp = try int64(json, "bornTimestamp") ?? defaults.now()
        let reconsumeTimes = try int32(json, "reconsumeTimes") ?? 0
        var bornHost = defaults.bornHost
        if let text = json["bornHost"] {
            guard let value = text.stringValue, let host = HostAddress(parsing: value) else {
                throw error("bornHost", "\"ip:port\" or \"[ipv6]:port\"")
            }
            bornHost = host
        }
        if let batch = json["batch"] {
            guard let elements = batch.elements, !elements.isEmpty else { throw error("batch", "a non-empty array") }
            for field in ["body", "bodyBase64", "tags", "keys", "delayLevel", "preparedTransactionOffset", "propertiesRaw"]
            where json[field] != nil {
                throw error(field, "no \(field) next to batch (put it in the batch elements)")
            }
            let batchProperties = try properties(json, delayLevel: nil)
            let items = try elements.map { element throws(FormatError) -> MessageBatch.Item in
                guard case .object = element else { throw error("batch[]", "JSON objects") }
                return MessageBatch.Item(flag: try int32(element, "flag") ?? 0, body: try body(element),
                                         properties: try properties(element, delayLevel: nil))
            }
            return .batch(MessageBatch(
                topic: topic, queueId: queueId, sysFlag: sysFlag, bornTimestamp: bornTimestamp, bornHost: bornHost,
                storeHost: defaults.storeHost, reconsumeTimes: reconsumeTimes, properties: batchProperties, items: items))
        }
        let delayLevel = try int32(json, "delayLevel")
        let record = MessageRecord(
            queueId: queueId, flag: try int32(json, "flag") ?? 0, sysFlag: sysFlag, bornTimestamp: bornTimestamp,
            bornHost: bornHost, storeHost: defaults.storeHost, reconsumeTimes: reconsumeTimes,
            preparedTransactionOffset: try int64(json, "preparedTransactionOffset") ?? 0, body: try body(json),
            topic: topic, properties: try properties(json, delayLevel: delayLevel))
        return .single(record, delayLevel: json["propertiesRaw"] != nil ? delayLevel : nil)
    }

    private static func body(_ json: JSONValue) throws(FormatError) -> [UInt8] {
        if let encoded = json["bodyBase64"] {
            guard json["body"] == nil else { throw error("body", "either body or bodyBase64, not both") }
            guard let text = encoded.stringValue, let bytes = Base64.decode(text) else { throw error("bodyBase64", "base64 text") }
            return bytes
        }
        guard let body = json["body"] else { return [] }
        guard let text = body.stringValue else { throw error("body", "a string") }
        return Array(text.utf8)
    }

    private static func properties(_ json: JSONValue, delayLevel: Int32?) throws(FormatError) -> [UInt8] {
        if let raw = json["propertiesRaw"] {
            for field in ["properties", "tags", "keys"] where json[field] != nil {
                throw error(field, "no \(field) next to propertiesRaw (the raw string is stored verbatim)")
            }
            guard let text = raw.stringValue else { throw error("propertiesRaw", "a string") }
            return Array(text.utf8)
        }
        var map = JavaPropertyMap()
        if let tags = json["tags"] {
            guard let text = tags.stringValue else { throw error("tags", "a string") }
            if !text.isEmpty { map["TAGS"] = text }
        }
        if let keys = json["keys"] {
            if let text = keys.stringValue {
                if !text.isEmpty { map["KEYS"] = text }
            } else if let list = keys.elements {
                let words = list.compactMap(\.stringValue)
                guard words.count == list.count else { throw error("keys", "a string or an array of strings") }
                if !words.isEmpty { map["KEYS"] = words.joined(separator: " ") }
            } else {
                throw error("keys", "a string or an array of strings")
            }
        }
        if let object = json["properties"] {
            guard let members = object.members else { throw error("properties", "an object of string values") }
            for member in members {
                guard let value = member.value.stringValue ?? member.value.int64Value.map({ String($0) }) else {
                    throw error("properties.\(member.key)", "a string value")
                }
                guard !member.key.isEmpty, !member.key.utf8.contains(1), !member.key.utf8.contains(2),
                      !value.utf8.contains(2) else {
                    throw error("properties.\(member.key)", "a key and value without U+0001/U+0002 separators")
                }
                map[member.key] = value
            }
        }
        if let delayLevel, delayLevel != 0 { map["DELAY"] = String(delayLevel) }
        return map.serialized()
    }

    private static func int32(_ json: JSONValue, _ field: String) throws(FormatError) -> Int32? {
        guard let value = json[field] else { return nil }
        guard let number = value.int32Value else { throw error(field, "a 32-bit integer") }
        return number
    }

    private static func int64(_ json: JSONValue, _ field: String) throws(FormatError) -> Int64? {
        guard let value = json[field] else { return nil }
        guard let number = value.int64Value else { throw error(field, "a 64-bit integer") }
        return number
    }

    private static func error(_ field: String, _ expected: String) -> FormatError {
        FormatError(structure: "put input", field: field, offset: 0, expected: expected)
    }
}
