// `config/subscriptionGroup.json` (`SubscriptionGroupWrapper`), FORMAT.md §17.
//
// Only the group names are read; the per-group settings do not affect the store.

public struct SubscriptionGroupTable: Sendable, Hashable {
    public var dataVersion: DataVersion?
    /// Keys of `subscriptionGroupTable`, in file order.
    public var groupNames: [String]

    public init(dataVersion: DataVersion? = nil, groupNames: [String] = []) {
        self.dataVersion = dataVersion
        self.groupNames = groupNames
    }

    public init(decoding bytes: UnsafeRawBufferPointer) throws(FormatError) {
        let structure = "subscriptionGroup"
        let root = JSONValue.object(try ConfigJSON.parseObject(bytes, structure: structure))
        let table = try ConfigJSON.object(root["subscriptionGroupTable"], structure: structure, path: "subscriptionGroupTable")
        self.init(dataVersion: DataVersion(json: root["dataVersion"]), groupNames: table.map(\.key))
    }
}
