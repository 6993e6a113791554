// Fuzz target FuzzConfigJSON: the fastjson-style parser and every config model on top (§17).

import RocketMQFormat

extension FuzzChecks {
    public static func checkConfigJSON(_ input: UnsafeRawBufferPointer) {
        // The config models parse with the default depth, as this parse does: when it fails or
        // the root is not an object, every model refuses the input too, so (but for one input
        // length in eight, which checks that) they are not run again on it; most fuzz inputs
        // are not JSON objects, and each model would parse the whole input again.
        let parsed = try? FastJSON.parse(input)
        guard parsed?.members != nil else {
            if input.count % 8 == 0 {
                require((try? DelayOffsetTable(decoding: input)) == nil, "delayOffset accepted what FastJSON refused")
                require((try? ConsumerOffsetTable(decoding: input)) == nil, "consumerOffset accepted what FastJSON refused")
                require((try? TopicConfigTable(decoding: input)) == nil, "topics accepted what FastJSON refused")
                require((try? SubscriptionGroupTable(decoding: input)) == nil, "subscriptionGroup accepted what FastJSON refused")
            }
            if let value = parsed { checkWriters(value) }
            return
        }
        checkWriters(parsed!)
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

    /// What we write parses back to the same value, in both styles.
    static func checkWriters(_ value: JSONValue) {
        for style in [JSONWriter.Style.compact, .fastjsonPretty] {
            let written = JSONWriter.bytes(value, style: style)
            guard let reparsed = try? FastJSON.parse(written) else {
                violation("written JSON does not parse: \(String(decoding: written, as: UTF8.self))")
            }
            require(reparsed == value, "JSON round trip changed the value: \(String(decoding: written, as: UTF8.self))")
        }
    }
}
