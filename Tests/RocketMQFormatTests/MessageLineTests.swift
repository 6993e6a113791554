import RocketMQFormat
import Testing

/// The dump's `msg` line writes `propertiesRaw`, `properties`, `keys`, `uniqKey` and `tagsCode`
/// from one pass over the properties string; these check it against the parser
/// (`MessageProperties.forEachPair`) and the plain escaper on awkward properties strings.
@Suite struct MessageLineTests {
    static let cases: [[UInt8]] = [
        Array("KEYS\u{1}k1 k2\u{2}UNIQ_KEY\u{1}ABC\u{2}TAGS\u{1}t".utf8),
        Array("KEYS\u{1}k1\u{2}TAGS\u{1}t\u{2}".utf8),  // trailing separator
        Array("A\u{1}x\u{2}B\u{1}z\u{2}A\u{1}y\u{2}KEYS\u{1}1\u{2}KEYS\u{1}2".utf8),  // later duplicates win
        Array("\u{1}v\u{2}K\u{1}v".utf8),  // empty key: dropped
        Array("K\u{1}\u{2}L\u{1}v".utf8),  // empty value: dropped
        Array("K\u{1}a\u{1}b\u{2}L\u{1}c\u{1}".utf8),  // 0x01 inside a value
        Array("junk\u{2}K\u{1}v\u{2}\u{2}\u{1}\u{1}\u{2}".utf8),  // segments without a pair
        Array("K\u{1}a\"b\\c\u{2}UNIQ_KEY\u{1}q\"".utf8),  // quote and backslash
        Array("K\u{1}héllo wörld\u{2}TAGS\u{1}标签".utf8),  // valid non-ASCII
        Array("K\u{1}".utf8) + [0xC3] + Array("x\u{2}KEYS\u{1}".utf8) + [0xFF, 0x41],  // malformed UTF-8
        Array("K\u{1}a\nb\u{3}c\u{7F}\u{2}TAGS\u{1}t\tt".utf8),  // other control bytes, DEL
        Array("A-long-key-name-here\u{1}a-rather-long-value-that-spans-several-words\u{2}B\u{1}0123456789abcdef".utf8),
        Array("TAGS\u{1}x".utf8),  // no KEYS, no UNIQ_KEY
        [],  // no properties: keys "" and tagsCode 0
    ]

    static func referenceString(_ raw: UnsafeRawBufferPointer) -> String {
        String(decoding: JSONLineWriterTests.referenceString(Array(raw)), as: UTF8.self)
    }

    /// `"properties":{…}` built from forEachPair (later duplicates win), keys sorted by bytes.
    static func referenceMap(_ raw: UnsafeRawBufferPointer) -> (map: String, values: [[UInt8]: [UInt8]]) {
        var order: [[UInt8]] = []
        var values: [[UInt8]: [UInt8]] = [:]
        MessageProperties.forEachPair(in: raw) { key, value in
            if values[Array(key)] == nil { order.append(Array(key)) }
            values[Array(key)] = Array(value)
        }
        order.sort { $0.lexicographicallyPrecedes($1) }
        let members = order.map { key in
            key.withUnsafeBytes { referenceString($0) } + ":" + values[key]!.withUnsafeBytes { referenceString($0) }
        }
        return ("{" + members.joined(separator: ",") + "}", values)
    }

    @Test(arguments: cases)
    func propertiesFieldsMatchTheParser(_ properties: [UInt8]) throws {
        let record = MessageRecord(
            version: .v1, queueId: 1, flag: 0, queueOffset: 7, physicalOffset: 0, sysFlag: 0,
            bornTimestamp: 1_700_000_000_000, bornHost: HostAddress(address: [10, 0, 0, 7], port: 51234),
            storeTimestamp: 1_700_000_000_001, storeHost: HostAddress(address: [10, 0, 0, 1], port: 10911),
            reconsumeTimes: 0, preparedTransactionOffset: 0, body: [], topic: "T", properties: properties)
        let bytes = try record.encode()
        try bytes.withUnsafeBytes { file in
            guard case .message(let view) = RecordDecoder.decode(file, at: 0) else {
                Issue.record("not decoded as a message")
                return
            }
            try #require(view.check.success)
            var writer = JSONLineWriter(capacity: 32)
            RecordDescriber().writeMessage(view, file: "00000000000000000000", fileFromOffset: 0, into: &writer)
            let line = String(decoding: writer.bytes, as: UTF8.self)

            let raw = view.propertiesBytes
            let (map, values) = Self.referenceMap(raw)
            #expect(line.contains(#","propertiesRaw":"# + Self.referenceString(raw) + #","properties":"# + map + ","))
            let keys: String =
                properties.isEmpty ? #""""# : values[Array("KEYS".utf8)].map { $0.withUnsafeBytes { Self.referenceString($0) } } ?? "null"
            let uniq = values[Array("UNIQ_KEY".utf8)].map { $0.withUnsafeBytes { Self.referenceString($0) } } ?? "null"
            #expect(line.contains(#","tagsCode":\#(view.tagsCode()),"keys":\#(keys),"uniqKey":\#(uniq),"check":"#))
        }
    }
}
