// A commitlog record as an owned value, and its byte-exact encoder (FORMAT.md §2.1).
//
// Topic and properties are kept as the stored bytes, not as strings, so that re-encoding a
// decoded record gives back exactly its original bytes (property order, duplicates, trailing
// separators and malformed UTF-8 included).

public struct MessageRecord: Sendable, Hashable {
    public var version: MessageVersion
    public var bodyCRC: Int32
    public var queueId: Int32
    public var flag: Int32
    public var queueOffset: Int64
    public var physicalOffset: Int64
    public var sysFlag: Int32
    public var bornTimestamp: Int64
    public var bornHost: HostAddress
    public var storeTimestamp: Int64
    public var storeHost: HostAddress
    public var reconsumeTimes: Int32
    public var preparedTransactionOffset: Int64
    public var body: [UInt8]
    public var topic: [UInt8]
    public var properties: [UInt8]

    public init(
        version: MessageVersion = .v1, bodyCRC: Int32? = nil, queueId: Int32, flag: Int32 = 0,
        queueOffset: Int64 = 0, physicalOffset: Int64 = 0, sysFlag: Int32 = 0, bornTimestamp: Int64,
        bornHost: HostAddress, storeTimestamp: Int64 = 0, storeHost: HostAddress, reconsumeTimes: Int32 = 0,
        preparedTransactionOffset: Int64 = 0, body: [UInt8], topic: String, properties: [UInt8]
    ) {
        self.version = version
        self.bodyCRC = bodyCRC ?? CRC32.rocketMQ(body)
        self.queueId = queueId
        self.flag = flag
        self.queueOffset = queueOffset
        self.physicalOffset = physicalOffset
        self.sysFlag = sysFlag
        self.bornTimestamp = bornTimestamp
        self.bornHost = bornHost
        self.storeTimestamp = storeTimestamp
        self.storeHost = storeHost
        self.reconsumeTimes = reconsumeTimes
        self.preparedTransactionOffset = preparedTransactionOffset
        self.body = body
        self.topic = Array(topic.utf8)
        self.properties = properties
    }

    /// Copies a decoded record. Nil when the view is incomplete (fields out of bounds).
    public init?(_ view: MessageRecordView) {
        guard view.isComplete, let born = view.bornHost, let store = view.storeHost else { return nil }
        version = view.version
        bodyCRC = view.bodyCRC
        queueId = view.queueId
        flag = view.flag
        queueOffset = view.queueOffset
        physicalOffset = view.physicalOffset
        sysFlag = view.sysFlag
        bornTimestamp = view.bornTimestamp
        bornHost = born
        storeTimestamp = view.storeTimestamp
        storeHost = store
        reconsumeTimes = view.reconsumeTimes
        preparedTransactionOffset = view.preparedTransactionOffset
        body = Array(view.body)
        topic = Array(view.topicBytes)
        properties = Array(view.propertiesBytes)
    }

    public var topicString: String { String(decoding: topic, as: UTF8.self) }
    public var propertyMap: [String: String] { MessageProperties.parse(properties) }
    public var flags: MessageSysFlag { MessageSysFlag(rawValue: sysFlag) }

    /// TOTALSIZE of the encoded record.
    public var encodedLength: Int {
        RecordDecoder.calculatedLength(
            sysFlag: sysFlag, bodyLength: body.count, topicLength: topic.count,
            propertiesLength: properties.count, version: version)
    }

    /// Checks what the layout can hold. `maxBodySize` is `maxMessageSize` (default 4 MiB).
    public func validate(maxBodySize: Int = 4 * 1024 * 1024) throws(FormatError) {
        func error(_ field: String, _ text: String) -> FormatError {
            FormatError(structure: "commitlog record", field: field, offset: 0, expected: text)
        }
        let topicLimit = version == .v1 ? 127 : Int(Int16.max)
        guard topic.count <= topicLimit else { throw error("TOPIC", "at most \(topicLimit) bytes, found \(topic.count)") }
        guard properties.count <= Int(Int16.max) else {
            throw error("PROPERTIES", "at most 32767 bytes, found \(properties.count)")
        }
        guard body.count <= maxBodySize else { throw error("BODY", "at most \(maxBodySize) bytes, found \(body.count)") }
        guard flags.contains(.bornHostV6) == bornHost.isIPv6 else {
            throw error("SYSFLAG", "born host IPv6 bit 0x10 \(bornHost.isIPv6 ? "set" : "clear") for \(bornHost)")
        }
        guard flags.contains(.storeHostV6) == storeHost.isIPv6 else {
            throw error("SYSFLAG", "store host IPv6 bit 0x20 \(storeHost.isIPv6 ? "set" : "clear") for \(storeHost)")
        }
    }

    /// The record's bytes. Throws when the values cannot be laid out.
    public func encode() throws(FormatError) -> [UInt8] {
        try validate(maxBodySize: Int(Int32.max))
        var out = [UInt8](repeating: 0, count: encodedLength)
        out.withUnsafeMutableBytes { _ = encodeUnchecked(into: $0) }
        return out
    }

    /// Writes the record at the start of `buffer`, which must hold `encodedLength` bytes and
    /// the record must have passed `validate`. Returns the bytes written. Used by the engine
    /// to encode straight into a mapped file.
    @discardableResult
    public func encodeUnchecked(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let length = encodedLength
        precondition(buffer.count >= length, "buffer too small for the record")
        var cursor = 0
        func put<T: FixedWidthInteger>(_ value: T) {
            buffer.storeBytes(of: value.bigEndian, toByteOffset: cursor, as: T.self)
            cursor += MemoryLayout<T>.size
        }
        func put(_ bytes: [UInt8]) {
            bytes.withUnsafeBytes { raw in
                if raw.count > 0 { buffer.baseAddress!.advanced(by: cursor).copyMemory(from: raw.baseAddress!, byteCount: raw.count) }
            }
            cursor += bytes.count
        }
        put(Int32(length))
        put(version.magic)
        put(bodyCRC)
        put(queueId)
        put(flag)
        put(queueOffset)
        put(physicalOffset)
        put(sysFlag)
        put(bornTimestamp)
        put(bornHost.address)
        put(bornHost.port)
        put(storeTimestamp)
        put(storeHost.address)
        put(storeHost.port)
        put(reconsumeTimes)
        put(preparedTransactionOffset)
        put(Int32(body.count))
        put(body)
        if version == .v1 { put(UInt8(topic.count)) } else { put(Int16(topic.count)) }
        put(topic)
        put(Int16(properties.count))
        put(properties)
        return cursor
    }

    /// Byte offsets of the fields the append path patches in place (FORMAT.md §2.6 step 4).
    public static let queueOffsetPosition = 20
    public static let physicalOffsetPosition = 28
    public static let sysFlagPosition = 36
    public var storeTimestampPosition: Int { 48 + flags.bornHostLength }
}
