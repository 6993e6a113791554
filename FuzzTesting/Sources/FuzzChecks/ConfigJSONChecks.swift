// Fuzz target FuzzConfigJSON: the fastjson-style parser and every config model on top (§17).

import RocketMQFormat

extension FuzzChecks {
    public static func checkConfigJSON(_ input: UnsafeRawBufferPointer) {
        if let value = try? FastJSON.parse(input, maxDepth: 64) {
            // What we write parses back to the same value, in both styles.
            for style in [JSONWriter.Style.compact, .fastjsonPretty] {
                let written = JSONWriter.bytes(value, style: style)
                guard let reparsed = try? FastJSON.parse(written) else {
                    violation("written JSON does not parse: \(String(decoding: written, as: UTF8.self))")
                }
                require(reparsed == value, "JSON round trip changed the value: \(String(decoding: written, as: UTF8.self))")
            }
        }
        if let table = try? DelayOffsetTable(decoding: input) {
            let again = table.encoded().withUnsafeBytes { try? DelayOffsetTable(decoding: $0) }
            require(again == table, "delayOffset round trip")
        }
        if let table = try? ConsumerOffsetTable(decoding: input) {
            _ = table.entries
            let again = JSONWriter.bytes(table.jsonValue).withUnsafeBytes { try? ConsumerOffsetTable(decoding: $0) }
            require(again == table, "consumerOffset round trip")
        }
        if let table = try? TopicConfigTable(decoding: input) {
            for config in table.topicConfigTable.values { _ = (config.isReadable, config.isWritable) }
        }
        _ = try? SubscriptionGroupTable(decoding: input)
    }
}
