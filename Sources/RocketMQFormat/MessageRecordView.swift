// A decoded commitlog record, viewed in place.
//
// The view borrows the bytes of the file it was decoded from (an mmap or a buffer) and copies
// nothing: fixed fields are decoded eagerly as integers, strings and bodies only on request.
// It must not outlive the buffer it was decoded from.

public struct MessageRecordView {
    /// The whole file (or buffer) the record was decoded from.
    public let file: UnsafeRawBufferPointer
    /// Offset of the record in `file`.
    public let position: Int

    public let totalSize: Int32
    public let version: MessageVersion
    public let bodyCRC: Int32
    public let queueId: Int32
    public let flag: Int32
    public let queueOffset: Int64
    /// The PHYSICALOFFSET field as stored (should equal file start + position).
    public let physicalOffset: Int64
    public let sysFlag: Int32
    public let bornTimestamp: Int64
    public let storeTimestamp: Int64
    public let reconsumeTimes: Int32
    public let preparedTransactionOffset: Int64
    public let bodyLength: Int32
    public let topicLength: Int
    public let propertiesLength: Int16

    // Positions relative to `position`; valid only when `isComplete`.
    let bornHostPosition: Int
    let storeHostPosition: Int
    let bodyPosition: Int
    let topicPosition: Int
    let propertiesPosition: Int

    /// True when every field lies inside the file and inside TOTALSIZE, so every accessor works.
    public let isComplete: Bool
    /// RocketMQ's verdict on this record.
    public let check: StoreCheck
    /// The body's CRC-32 (RocketMQ form) when the decoder computed it for the check, so
    /// readers that report it need not compute it again; nil otherwise.
    public let computedBodyCRC: Int32?

    init(
        file: UnsafeRawBufferPointer, position: Int, totalSize: Int32, version: MessageVersion,
        bodyCRC: Int32, queueId: Int32, flag: Int32, queueOffset: Int64, physicalOffset: Int64,
        sysFlag: Int32, bornTimestamp: Int64, storeTimestamp: Int64, reconsumeTimes: Int32,
        preparedTransactionOffset: Int64, bodyLength: Int32, topicLength: Int, propertiesLength: Int16,
        bornHostPosition: Int, storeHostPosition: Int, bodyPosition: Int, topicPosition: Int,
        propertiesPosition: Int, isComplete: Bool, check: StoreCheck, computedBodyCRC: Int32? = nil
    ) {
        self.file = file
        self.position = position
        self.totalSize = totalSize
        self.version = version
        self.bodyCRC = bodyCRC
        self.queueId = queueId
        self.flag = flag
        self.queueOffset = queueOffset
        self.physicalOffset = physicalOffset
        self.sysFlag = sysFlag
        self.bornTimestamp = bornTimestamp
        self.storeTimestamp = storeTimestamp
        self.reconsumeTimes = reconsumeTimes
        self.preparedTransactionOffset = preparedTransactionOffset
        self.bodyLength = bodyLength
        self.topicLength = topicLength
        self.propertiesLength = propertiesLength
        self.bornHostPosition = bornHostPosition
        self.storeHostPosition = storeHostPosition
        self.bodyPosition = bodyPosition
        self.topicPosition = topicPosition
        self.propertiesPosition = propertiesPosition
        self.isComplete = isComplete
        self.check = check
        self.computedBodyCRC = computedBodyCRC
    }

    public var magic: Int32 { version.magic }
    public var flags: MessageSysFlag { MessageSysFlag(rawValue: sysFlag) }
    public var transactionType: TransactionType { flags.transactionType }

    /// The record's bytes (TOTALSIZE of them, clamped to the file).
    public var bytes: UnsafeRawBufferPointer {
        let length = max(0, min(Int(totalSize), file.count - position))
        return UnsafeRawBufferPointer(rebasing: file[position..<(position + length)])
    }

    public var body: UnsafeRawBufferPointer { field(bodyPosition, Int(max(bodyLength, 0))) }
    public var topicBytes: UnsafeRawBufferPointer { field(topicPosition, topicLength) }
    public var propertiesBytes: UnsafeRawBufferPointer { field(propertiesPosition, Int(max(propertiesLength, 0))) }

    public var topic: String { String(decoding: topicBytes, as: UTF8.self) }
    public var propertiesString: String { String(decoding: propertiesBytes, as: UTF8.self) }
    public var properties: [String: String] { MessageProperties.parse(propertiesBytes) }

    public var bornHost: HostAddress? {
        isComplete ? HostAddress.decode(file, at: position + bornHostPosition, length: flags.bornHostLength) : nil
    }
    public var storeHost: HostAddress? {
        isComplete ? HostAddress.decode(file, at: position + storeHostPosition, length: flags.storeHostLength) : nil
    }

    /// The raw store-host field (address + port), as used in the offset message id.
    public var storeHostBytes: UnsafeRawBufferPointer { field(storeHostPosition, flags.storeHostLength) }

    /// `MessageDecoder.createMessageId(storeHost, PHYSICALOFFSET)`.
    public var offsetMessageId: String {
        MessageId.offsetMessageId(storeHost: storeHostBytes, physicalOffset: physicalOffset)
    }

    /// The value of a property (last occurrence), as raw bytes.
    public func propertyBytes(_ key: StaticString) -> UnsafeRawBufferPointer? {
        propertiesLength > 0 ? MessageProperties.value(of: key, in: propertiesBytes) : nil
    }

    public func property(_ key: StaticString) -> String? {
        propertyBytes(key).map { String(decoding: $0, as: UTF8.self) }
    }

    /// KEYS as the store's check yields it: "" without properties, nil when absent.
    public var keys: String? { propertiesLength > 0 ? property("KEYS") : "" }
    public var uniqueKey: String? { property("UNIQ_KEY") }

    /// The consume queue tagsCode the dispatcher computes (FORMAT.md §7.1): the Java hash of
    /// TAGS, or the delivery time for SCHEDULE_TOPIC_XXXX with a positive DELAY.
    public func tagsCode(delayLevels: DelayLevelTable = .default) -> Int64 {
        guard propertiesLength > 0 else { return 0 }
        let properties = propertiesBytes
        var tags: UnsafeRawBufferPointer?
        var delay: UnsafeRawBufferPointer?
        MessageProperties.forEachPair(in: properties) { k, v in
            if k.count == 4 && k[0] == 0x54 && k.elementsEqual("TAGS".utf8) { tags = v }
            else if k.count == 5 && k[0] == 0x44 && k.elementsEqual("DELAY".utf8) { delay = v }
        }
        return tagsCode(tags: tags, delay: delay, delayLevels: delayLevels)
    }

    /// `tagsCode(delayLevels:)` from TAGS and DELAY already found in the properties (one pass
    /// over the properties for several lookups).
    public func tagsCode(tags: UnsafeRawBufferPointer?, delay: UnsafeRawBufferPointer?,
                         delayLevels: DelayLevelTable = .default) -> Int64 {
        var code: Int64 = 0
        if let tags, tags.count > 0 { code = Int64(JavaString.hashCode(utf8: tags)) }
        if let delay, isScheduleTopic, let parsed = JavaString.parseInt(String(decoding: delay, as: UTF8.self)) {
            let level = min(parsed, delayLevels.maxLevel)
            if level > 0 { code = delayLevels.deliverTimestamp(level: level, storeTimestamp: storeTimestamp) }
        }
        return code
    }

    public var isScheduleTopic: Bool {
        topicLength == 19 && topicBytes.elementsEqual(DelayLevelTable.scheduleTopic.utf8)
    }

    /// Index keys (`topic#key`): UNIQ_KEY first, then each non-empty KEYS token (FORMAT.md §8.4).
    public var indexKeys: [String] {
        var result: [String] = []
        if let uniq = uniqueKey { result.append(uniq) }
        if let keys, !keys.isEmpty { result.append(contentsOf: MessageProperties.splitKeys(keys)) }
        return result
    }

    /// The record's expected PHYSICALOFFSET given the file's start offset.
    public func expectedPhysicalOffset(fileFromOffset: Int64) -> Int64 { fileFromOffset + Int64(position) }

    private func field(_ offset: Int, _ length: Int) -> UnsafeRawBufferPointer {
        guard offset >= 0, let slice = file.slice(at: position + offset, length: length) else {
            return UnsafeRawBufferPointer(start: nil, count: 0)
        }
        return slice
    }
}
