// The index keys of a record as entry hashes (FORMAT.md §8.2, §8.4), computed without a String
// per key: shared by the log pass (index digests) and the entry-by-entry check.

import RocketMQFormat

extension IndexVerifier {
    /// The normalized `topic#key` hashes of the record's UNIQ_KEY and KEYS tokens (§8.2, §8.4).
    static func keyHashes(of record: MessageRecordView, into hashes: inout [Int32]) {
        let properties = DispatchProperties(record)
        keyHashes(topic: record.topicBytes, uniqueKey: properties.uniqueKey, keys: properties.keys, into: &hashes)
    }

    static func keyHashes(topic: UnsafeRawBufferPointer, uniqueKey: UnsafeRawBufferPointer?, keys: UnsafeRawBufferPointer?,
                          into hashes: inout [Int32]) {
        // Java hash of "topic#" once; each key continues from it (JavaString: eight ASCII
        // bytes a step, the decoding path otherwise).
        let prefix = IndexKey.topicPrefixHash(topic)
        func hash(_ key: UnsafeRawBufferPointer) -> Int32 { IndexKey.hash(topicPrefix: prefix, key: key) }
        if let uniqueKey { hashes.append(hash(uniqueKey)) }
        guard let keys else { return }
        var start = 0
        for i in 0...keys.count where i == keys.count || keys[i] == 0x20 {
            if i > start { hashes.append(hash(UnsafeRawBufferPointer(rebasing: keys[start..<i]))) }
            start = i + 1
        }
    }
}
