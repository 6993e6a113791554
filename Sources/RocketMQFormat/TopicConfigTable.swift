// `config/topics.json` (`TopicConfigSerializeWrapper`), FORMAT.md §17.

public struct TopicConfigTable: Sendable, Hashable {
    public var dataVersion: DataVersion?
    /// Topic name → config.
    public var topicConfigTable: [String: TopicConfig]

    public init(dataVersion: DataVersion? = nil, topicConfigTable: [String: TopicConfig] = [:]) {
        self.dataVersion = dataVersion
        self.topicConfigTable = topicConfigTable
    }

    public init(decoding bytes: UnsafeRawBufferPointer) throws(FormatError) {
        let structure = "topics"
        let root = JSONValue.object(try ConfigJSON.parseObject(bytes, structure: structure))
        var table: [String: TopicConfig] = [:]
        for member in try ConfigJSON.object(root["topicConfigTable"], structure: structure, path: "topicConfigTable") {
            table[member.key] = try TopicConfig(json: member.value, name: member.key, path: "topicConfigTable.\(member.key)")
        }
        self.init(dataVersion: DataVersion(json: root["dataVersion"]), topicConfigTable: table)
    }
}
