// Index keys and their hash, FORMAT.md §8.2.
//
// The key string is `topic + "#" + key` and its hash is Java's `String.hashCode` made
// non-negative by `IndexFile.indexKeyHashMethod`: abs(h), and 0 for Int32.min (whose abs
// overflows back to itself in Java).

public struct IndexKey: Sendable, Hashable {
    /// The record's stored topic (e.g. `SCHEDULE_TOPIC_XXXX` for a delayed record).
    public var topic: String
    /// A UNIQ_KEY or one KEYS token.
    public var key: String

    public init(topic: String, key: String) {
        self.topic = topic
        self.key = key
    }

    /// `IndexService.buildKey`: `topic + "#" + key`.
    public var keyString: String { topic + "#" + key }

    /// The non-negative hash stored in entries.
    public var hash: Int32 { Self.normalizedHash(JavaString.hashCode(keyString)) }

    /// Hash of a full key string (`topic#key`).
    public static func hash(ofKeyString keyString: String) -> Int32 {
        normalizedHash(JavaString.hashCode(keyString))
    }

    /// Hash of `topic#key` from UTF-8 bytes, without building a String (for the dispatcher).
    public static func hash(topic: UnsafeRawBufferPointer, key: UnsafeRawBufferPointer) -> Int32 {
        hash(topicPrefix: topicPrefixHash(topic), key: key)
    }

    /// The Java hash of `topic + "#"`, computed once per record and continued per key.
    @inlinable
    public static func topicPrefixHash(_ topic: UnsafeRawBufferPointer) -> Int32 {
        JavaString.hashCode(utf8: topic) &* 31 &+ Int32(UInt8(ascii: "#"))
    }

    /// Hash of `topic#key` from `topicPrefixHash(topic)` and the key's UTF-8 bytes.
    @inlinable
    public static func hash(topicPrefix: Int32, key: UnsafeRawBufferPointer) -> Int32 {
        normalizedHash(JavaString.hashCode(continuing: topicPrefix, utf8: key))
    }

    /// The hashes of a record's index keys in the order `IndexService.buildIndex` puts them:
    /// UNIQ_KEY, then each non-empty token of KEYS split at spaces, each `topic#key` continued
    /// from `topicPrefixHash(topic)`. The one split every writer and checker of the index uses.
    @inlinable
    public static func forEachHash<E: Error>(
        topicPrefix: Int32, uniqueKey: UnsafeRawBufferPointer?, keys: UnsafeRawBufferPointer?,
        _ body: (Int32) throws(E) -> Void
    ) throws(E) {
        if let uniqueKey { try body(hash(topicPrefix: topicPrefix, key: uniqueKey)) }
        guard let keys, keys.count > 0 else { return }
        var start = 0
        for i in 0...keys.count where i == keys.count || keys[i] == 0x20 {
            if i > start { try body(hash(topicPrefix: topicPrefix, key: UnsafeRawBufferPointer(rebasing: keys[start..<i]))) }
            start = i + 1
        }
    }

    /// `indexKeyHashMethod`: Math.abs, then Int32.min (still negative) becomes 0.
    public static func normalizedHash(_ javaHash: Int32) -> Int32 {
        javaHash == Int32.min ? 0 : abs(javaHash)
    }

    /// The slot of this key in a file with `layout`.
    public func slot(in layout: IndexFileLayout) -> Int { layout.slot(forKeyHash: hash) }
}
