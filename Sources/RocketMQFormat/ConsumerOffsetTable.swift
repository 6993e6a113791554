// `config/consumerOffset.json` (and `lmqConsumerOffset.json`), FORMAT.md §17.
//
// `{"offsetTable":{"<topic>@<group>":{<queueId>:<offset>,…},…}}`. 5.x may add `dataVersion` and
// derived keys such as `groupTopicMap`; unknown keys are ignored.

public struct ConsumerOffsetTable: Sendable, Hashable {
    /// `topic@group` → queueId → next offset to consume.
    public var offsetTable: [String: [Int32: Int64]]
    /// `lmqConsumerOffset.json` only: `topic@lmqGroup` → offset of the LMQ's single queue.
    public var lmqOffsetTable: [String: Int64]

    public init(offsetTable: [String: [Int32: Int64]] = [:], lmqOffsetTable: [String: Int64] = [:]) {
        self.offsetTable = offsetTable
        self.lmqOffsetTable = lmqOffsetTable
    }

    public init(decoding bytes: UnsafeRawBufferPointer) throws(FormatError) {
        let structure = "consumerOffset"
        let root = JSONValue.object(try ConfigJSON.parseObject(bytes, structure: structure))
        var table: [String: [Int32: Int64]] = [:]
        for member in try ConfigJSON.object(root["offsetTable"], structure: structure, path: "offsetTable") {
            var queues: [Int32: Int64] = [:]
            let path = "offsetTable.\(member.key)"
            for queue in try ConfigJSON.object(member.value, structure: structure, path: path) {
                let queuePath = path + "." + queue.key
                let queueId = try ConfigJSON.intKey(queue.key, structure: structure, path: queuePath)
                queues[queueId] = try ConfigJSON.int64(queue.value, structure: structure, path: queuePath)
            }
            table[member.key] = queues
        }
        var lmq: [String: Int64] = [:]
        for member in try ConfigJSON.object(root["lmqOffsetTable"], structure: structure, path: "lmqOffsetTable") {
            lmq[member.key] = try ConfigJSON.int64(member.value, structure: structure, path: "lmqOffsetTable.\(member.key)")
        }
        self.init(offsetTable: table, lmqOffsetTable: lmq)
    }

    /// Splits a `topic@group` key as the broker does: Java's `split("@")` (which drops trailing
    /// empty parts, so `t@g@` still splits) followed by a length-2 check. The topic may be empty.
    public static func split(topicAtGroup key: String) -> (topic: String, group: String)? {
        var parts = key.split(separator: "@", omittingEmptySubsequences: false)
        while let last = parts.last, last.isEmpty { parts.removeLast() }
        guard parts.count == 2 else { return nil }
        return (String(parts[0]), String(parts[1]))
    }

    /// Every (topic, group, queueId, offset), sorted; keys that do not split are left out.
    public var entries: [(topic: String, group: String, queueId: Int32, offset: Int64)] {
        var result: [(topic: String, group: String, queueId: Int32, offset: Int64)] = []
        for key in offsetTable.keys.sorted() {
            guard let (topic, group) = Self.split(topicAtGroup: key), let queues = offsetTable[key] else { continue }
            for (queueId, offset) in queues.sorted(by: { $0.key < $1.key }) {
                result.append((topic, group, queueId, offset))
            }
        }
        return result
    }

    /// The value fastjson would serialize (keys sorted; the broker's hash-map order is not kept).
    public var jsonValue: JSONValue {
        let table = offsetTable.sorted { $0.key < $1.key }.map { key, queues in
            JSONMember(key: key, value: .object(queues.sorted { $0.key < $1.key }.map {
                JSONMember(key: String($0.key), value: .integer($0.value), isBareKey: true)
            }))
        }
        var members = [JSONMember(key: "offsetTable", value: .object(table))]
        if !lmqOffsetTable.isEmpty {
            let lmq = lmqOffsetTable.sorted { $0.key < $1.key }.map { JSONMember(key: $0.key, value: .integer($0.value)) }
            members.insert(JSONMember(key: "lmqOffsetTable", value: .object(lmq)), at: 0)
        }
        return .object(members)
    }
}
