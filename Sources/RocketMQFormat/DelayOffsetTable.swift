// `config/delayOffset.json`: the schedule service's next CQ offset per delay level, FORMAT.md §17.
//
// `{"offsetTable":{<level>:<offset>,…}}` with bare integer keys. 5.x adds `dataVersion`, which is
// ignored (the 4.9.8 layout is written).

public struct DelayOffsetTable: Sendable, Hashable {
    /// Delay level (1-based) → next offset to deliver in `SCHEDULE_TOPIC_XXXX` queue level − 1.
    public var offsetTable: [Int32: Int64]

    public init(offsetTable: [Int32: Int64] = [:]) {
        self.offsetTable = offsetTable
    }

    public init(decoding bytes: UnsafeRawBufferPointer) throws(FormatError) {
        let structure = "delayOffset"
        let root = try ConfigJSON.parseObject(bytes, structure: structure)
        let table = try ConfigJSON.object(JSONValue.object(root)["offsetTable"], structure: structure, path: "offsetTable")
        var offsets: [Int32: Int64] = [:]
        for member in table {
            let path = "offsetTable.\(member.key)"
            let level = try ConfigJSON.intKey(member.key, structure: structure, path: path)
            offsets[level] = try ConfigJSON.int64(member.value, structure: structure, path: path)
        }
        self.init(offsetTable: offsets)
    }

    /// The value fastjson serializes. Levels come in ascending order: that is the iteration
    /// order of the broker's `ConcurrentHashMap<Integer, Long>(32)` (64 buckets, an Integer
    /// hashes to itself) for every level below 64.
    public var jsonValue: JSONValue {
        let entries = offsetTable.sorted { $0.key < $1.key }.map {
            JSONMember(key: String($0.key), value: .integer($0.value), isBareKey: true)
        }
        return .object([JSONMember(key: "offsetTable", value: .object(entries))])
    }

    /// The file bytes in fastjson's pretty layout: `{\n\t"offsetTable":{1:20\n\t}\n}`.
    public func encoded() -> [UInt8] {
        JSONWriter.bytes(jsonValue, style: .fastjsonPretty)
    }
}
