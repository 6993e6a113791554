// What the dispatchers need from a record's properties (TAGS, DELAY, UNIQ_KEY, KEYS), found in
// one pass over the properties bytes instead of one pass per key: the rebuild of a 1M-record
// log does this once per record.

public struct DispatchFields {
    /// The consume queue tagsCode (FORMAT.md §7.1), as `MessageRecordView.tagsCode`.
    public var tagsCode: Int64
    /// UNIQ_KEY and KEYS (last occurrence), nil when absent; views into the record.
    public var uniqKey: UnsafeRawBufferPointer?
    public var keys: UnsafeRawBufferPointer?

    /// `delayLevels` is borrowed: an initializer's arguments are otherwise passed owned, which
    /// cost a retain and release of the table's array per record, and on two scanning threads
    /// sharing one table, a contended one (perf: 60 ns per record in recover's scan).
    public init(_ view: MessageRecordView, delayLevels: borrowing DelayLevelTable = .default) {
        tagsCode = 0
        guard view.propertiesLength > 0 else { return }
        var tags: UnsafeRawBufferPointer?
        var delay: UnsafeRawBufferPointer?
        var uniq: UnsafeRawBufferPointer?
        var keys: UnsafeRawBufferPointer?
        // Keys compared as little-endian words ("TAGS" = 0x53474154, ...): no per-byte loop.
        MessageProperties.forEachPair(in: view.propertiesBytes) { k, v in
            guard let base = k.baseAddress else { return }
            switch k.count {
            case 4:
                let word = base.loadUnaligned(as: UInt32.self)
                if word == UInt32(littleEndian: 0x5347_4154) { tags = v }  // TAGS
                else if word == UInt32(littleEndian: 0x5359_454B) { keys = v }  // KEYS
            case 5:
                if base.load(as: UInt8.self) == 0x44 && k.elementsEqual("DELAY".utf8) { delay = v }
            case 8:
                if base.loadUnaligned(as: UInt64.self) == UInt64(littleEndian: 0x5945_4B5F_5149_4E55) { uniq = v }  // UNIQ_KEY
            default: break
            }
        }
        tagsCode = view.tagsCode(tags: tags, delay: delay, delayLevels: delayLevels)
        uniqKey = uniq
        self.keys = keys
    }
}
