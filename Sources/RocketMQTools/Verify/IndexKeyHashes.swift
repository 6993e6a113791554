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
        // Java hash of "topic#" once; each key continues from it (ASCII; otherwise the general path).
        var prefix: Int32? = 0
        for byte in topic {
            if byte >= 0x80 { prefix = nil; break }
            prefix = prefix! &* 31 &+ Int32(byte)
        }
        prefix = prefix.map { $0 &* 31 &+ 0x23 }
        func hash(_ key: UnsafeRawBufferPointer) -> Int32 {
            guard var h = prefix, let base = key.baseAddress else {
                return prefix == nil ? IndexKey.hash(topic: topic, key: key) : IndexKey.normalizedHash(prefix!)
            }
            // h·31⁴ + (c0·31³ + c1·31² + c2·31 + c3) per 4 bytes: the same wrapping value as the
            // byte-by-byte loop, with one dependent multiply per 4 bytes instead of 4.
            let count = key.count
            var i = 0
            while i + 4 <= count {
                let word = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt32.self))
                if word & 0x8080_8080 != 0 { return IndexKey.hash(topic: topic, key: key) }
                let c0 = Int32(word & 0xFF), c1 = Int32((word >> 8) & 0xFF)
                let c2 = Int32((word >> 16) & 0xFF), c3 = Int32(word >> 24)
                h = h &* 923_521 &+ (c0 &* 29_791 &+ c1 &* 961 &+ c2 &* 31 &+ c3)
                i += 4
            }
            while i < count {
                let byte = key[i]
                if byte >= 0x80 { return IndexKey.hash(topic: topic, key: key) }
                h = h &* 31 &+ Int32(byte)
                i += 1
            }
            return IndexKey.normalizedHash(h)
        }
        if let uniqueKey { hashes.append(hash(uniqueKey)) }
        guard let keys else { return }
        var start = 0
        for i in 0...keys.count where i == keys.count || keys[i] == 0x20 {
            if i > start { hashes.append(hash(UnsafeRawBufferPointer(rebasing: keys[start..<i]))) }
            start = i + 1
        }
    }
}
