// Fuzz target FuzzProperties: the properties string (§5) and the Java string helpers used on it.

import RocketMQFormat

extension FuzzChecks {
    public static func checkProperties(_ input: UnsafeRawBufferPointer) {
        let pairs = MessageProperties.pairs(input)
        let map = MessageProperties.parse(input)
        require(map.count <= pairs.count, "map has more keys than pairs")
        for pair in pairs {
            require(!pair.key.isEmpty && !pair.value.isEmpty, "empty key or value kept")
        }
        // Later duplicates win, in the map and in value(of:).
        if let last = pairs.last(where: { $0.key == "KEYS" }) {
            require(map["KEYS"] == last.value, "map keeps the last KEYS")
            let raw = MessageProperties.value(of: "KEYS", in: input).map { String(decoding: $0, as: UTF8.self) }
            require(raw == last.value, "value(of:) keeps the last KEYS")
            _ = MessageProperties.splitKeys(last.value)
        }
        // Encoding the pairs and parsing again gives the same pairs, with or without the
        // trailing separator.
        for trailing in [false, true] {
            let encoded = MessageProperties.encode(pairs, trailingSeparator: trailing)
            let again = encoded.withUnsafeBytes { MessageProperties.pairs($0) }
            require(again.elementsEqual(pairs, by: { $0.key == $1.key && $0.value == $1.value }), "properties round trip")
        }
        checkJavaStrings(input)
    }

    /// Java's String.hashCode from UTF-8 bytes agrees with the String version, and
    /// Integer.parseInt agrees with Swift on ASCII text.
    static func checkJavaStrings(_ input: UnsafeRawBufferPointer) {
        let text = String(decoding: input, as: UTF8.self)
        // messageDelayLevel text from a broker config or --delay-levels.
        if let table = DelayLevelTable(parsing: text) {
            _ = table.deliverTimestamp(level: table.maxLevel, storeTimestamp: Int64.max)
        }
        // Valid UTF-8 (the String kept the bytes as they are).
        var validated = text
        if validated.withUTF8({ sameBytes(UnsafeRawBufferPointer($0), input) }) {
            require(JavaString.hashCode(utf8: input) == JavaString.hashCode(text), "hashCode(utf8:) differs from hashCode(String)")
            let split = input.firstIndex(of: UInt8(ascii: "#")) ?? input.count
            let topic = UnsafeRawBufferPointer(rebasing: input[0..<split])
            let key = UnsafeRawBufferPointer(rebasing: input[min(split + 1, input.count)...])
            let keyString = String(decoding: topic, as: UTF8.self) + "#" + String(decoding: key, as: UTF8.self)
            require(IndexKey.hash(topic: topic, key: key) == IndexKey.hash(ofKeyString: keyString), "index key hash from bytes")
        }
        if input.count <= 24, input.allSatisfy({ $0 < 0x80 }) {
            require(JavaString.parseInt(text) == Int32(text, radix: 10), "parseInt(\(text)) differs from Int32")
            require(JavaString.parseLong(text) == Int64(text, radix: 10), "parseLong(\(text)) differs from Int64")
        }
    }
}
