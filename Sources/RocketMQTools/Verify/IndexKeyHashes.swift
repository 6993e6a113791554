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
        IndexKey.forEachHash(topicPrefix: IndexKey.topicPrefixHash(topic), uniqueKey: uniqueKey, keys: keys) { hashes.append($0) }
    }
}
