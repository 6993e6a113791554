// The four properties the log pass needs from every record (TAGS and DELAY for the consume
// queue tagsCode, UNIQ_KEY and KEYS for the index), found in one pass over the properties
// instead of one pass per lookup. Last occurrence wins, as in Java's HashMap.

import RocketMQFormat

struct DispatchProperties {
    var tags: UnsafeRawBufferPointer?
    var delay: UnsafeRawBufferPointer?
    var uniqueKey: UnsafeRawBufferPointer?
    var keys: UnsafeRawBufferPointer?

    init(_ record: MessageRecordView) {
        guard record.propertiesLength > 0 else { return }
        MessageProperties.forEachPair(in: record.propertiesBytes) { k, v in
            switch k.count {
            case 4:
                if k[0] == 0x54, k.elementsEqual("TAGS".utf8) { tags = v }
                else if k[0] == 0x4B, k.elementsEqual("KEYS".utf8) { keys = v }
            case 5:
                if k[0] == 0x44, k.elementsEqual("DELAY".utf8) { delay = v }
            case 8:
                if k[0] == 0x55, k.elementsEqual("UNIQ_KEY".utf8) { uniqueKey = v }
            default:
                break
            }
        }
    }

    /// Whether the index dispatcher makes at least one entry for the record (§8.4).
    var hasIndexKey: Bool { uniqueKey != nil || (keys?.count ?? 0) > 0 }
}
