// The key check a client makes on the records an index lookup returns: index chains hold key
// hashes, so a query by key must confirm each record really carries the key.

extension MessageRecordView {
    /// True when the record's UNIQ_KEY or one of its KEYS tokens is `key`.
    public func hasKey(_ key: String) -> Bool {
        if uniqueKey == key { return true }
        guard let keys, !keys.isEmpty else { return false }
        return MessageProperties.splitKeys(keys).contains(key)
    }
}
