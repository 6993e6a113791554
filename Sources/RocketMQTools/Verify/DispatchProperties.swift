// The properties the log pass needs from every record (TAGS and DELAY for the consume queue
// tagsCode, UNIQ_KEY and KEYS for the index, INNER_MULTI_DISPATCH and INNER_MULTI_QUEUE_OFFSET
// for LMQ queues), found in one pass over the properties instead of one pass per lookup. Last
// occurrence wins, as in Java's HashMap.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import RocketMQFormat

struct DispatchProperties {
    var tags: UnsafeRawBufferPointer?
    var delay: UnsafeRawBufferPointer?
    var uniqueKey: UnsafeRawBufferPointer?
    var keys: UnsafeRawBufferPointer?
    /// LMQ: the queue names and their queue offsets (comma-separated), FORMAT.md §5, §7.2.
    var multiDispatch: UnsafeRawBufferPointer?
    var multiQueueOffset: UnsafeRawBufferPointer?

    init(_ record: MessageRecordView) {
        guard record.propertiesLength > 0 else { return }
        MessageProperties.forEachPair(in: record.propertiesBytes) { k, v in
            switch k.count {
            case 4:
                if Self.equal(k, "TAGS") { tags = v }
                else if Self.equal(k, "KEYS") { keys = v }
            case 5:
                if Self.equal(k, "DELAY") { delay = v }
            case 8:
                if Self.equal(k, "UNIQ_KEY") { uniqueKey = v }
            case 20:
                if Self.equal(k, "INNER_MULTI_DISPATCH") { multiDispatch = v }
            case 24:
                if Self.equal(k, "INNER_MULTI_QUEUE_OFFSET") { multiQueueOffset = v }
            default:
                break
            }
        }
    }

    /// `key` (of the literal's length) equals the literal: memcmp, not a generic element loop.
    @inline(__always)
    static func equal(_ key: UnsafeRawBufferPointer, _ literal: StaticString) -> Bool {
        memcmp(key.baseAddress!, literal.utf8Start, literal.utf8CodeUnitCount) == 0
    }

    /// Whether the index dispatcher makes at least one entry for the record (§8.4).
    var hasIndexKey: Bool { uniqueKey != nil || (keys?.count ?? 0) > 0 }
}
