// One topic of `config/topics.json` (`TopicConfig.java`), FORMAT.md §17.

public struct TopicConfig: Sendable, Hashable {
    public var topicName: String
    public var readQueueNums: Int32
    public var writeQueueNums: Int32
    /// 8 = priority, 4 = read, 2 = write, 1 = inherit.
    public var perm: Int32
    /// "SINGLE_TAG" or "MULTI_TAG".
    public var topicFilterType: String
    public var topicSysFlag: Int32
    public var order: Bool
    /// [5.x] e.g. "queue.type": "SimpleCQ" | "BatchCQ" (values kept as text).
    public var attributes: [String: String]

    /// Java's field defaults (`defaultReadQueueNums` = 16, perm read + write).
    public init(
        topicName: String, readQueueNums: Int32 = 16, writeQueueNums: Int32 = 16, perm: Int32 = 6,
        topicFilterType: String = "SINGLE_TAG", topicSysFlag: Int32 = 0, order: Bool = false,
        attributes: [String: String] = [:]
    ) {
        self.topicName = topicName
        self.readQueueNums = readQueueNums
        self.writeQueueNums = writeQueueNums
        self.perm = perm
        self.topicFilterType = topicFilterType
        self.topicSysFlag = topicSysFlag
        self.order = order
        self.attributes = attributes
    }

    /// Reads one entry of `topicConfigTable`; missing fields keep Java's defaults and unknown
    /// keys are ignored. `name` (the map key) is used when `topicName` is absent.
    init(json: JSONValue, name: String, path: String) throws(FormatError) {
        let structure = "topics"
        guard json.members != nil else {
            throw FormatError(structure: structure, field: path, offset: 0, expected: "an object")
        }
        self.init(topicName: json["topicName"]?.stringValue ?? name)
        if let value = json["readQueueNums"] {
            readQueueNums = try ConfigJSON.int32(value, structure: structure, path: path + ".readQueueNums")
        }
        if let value = json["writeQueueNums"] {
            writeQueueNums = try ConfigJSON.int32(value, structure: structure, path: path + ".writeQueueNums")
        }
        if let value = json["perm"] {
            perm = try ConfigJSON.int32(value, structure: structure, path: path + ".perm")
        }
        if let value = json["topicSysFlag"] {
            topicSysFlag = try ConfigJSON.int32(value, structure: structure, path: path + ".topicSysFlag")
        }
        if let value = json["topicFilterType"]?.stringValue { topicFilterType = value }
        if let value = json["order"]?.boolValue { order = value }
        for member in try ConfigJSON.object(json["attributes"], structure: structure, path: path + ".attributes") {
            switch member.value {
            case .string(let text): attributes[member.key] = text
            case .integer(let number): attributes[member.key] = String(number)
            case .bool(let flag): attributes[member.key] = String(flag)
            default: continue
            }
        }
    }

    public var isReadable: Bool { perm & 4 != 0 }
    public var isWritable: Bool { perm & 2 != 0 }
}
