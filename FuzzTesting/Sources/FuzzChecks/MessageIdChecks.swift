// Fuzz target FuzzMessageId: offset message ids (§6) and host addresses.

import RocketMQFormat

extension FuzzChecks {
    public static func checkMessageId(_ input: UnsafeRawBufferPointer) {
        let text = String(decoding: input, as: UTF8.self)
        if let (host, offset) = MessageId.decodeOffsetMessageId(text) {
            require(MessageId.offsetMessageId(storeHost: host, physicalOffset: offset) == text.uppercased(), "message id round trip")
        }
        if let host = HostAddress(parsing: text) {
            require(HostAddress(parsing: host.description) == host, "host address text round trip: \(host)")
        }
        // Raw store-host bytes (IPv4: 8, IPv6: 20) + offset → id → the same bytes.
        for length in [8, 20] where input.count >= length + 8 {
            let storeHost = UnsafeRawBufferPointer(rebasing: input[0..<length])
            let offset: Int64 = parameter(input, at: length)
            let id = MessageId.offsetMessageId(storeHost: storeHost, physicalOffset: offset)
            guard let (host, decodedOffset) = MessageId.decodeOffsetMessageId(id) else {
                violation("an id we made does not decode: \(id)")
            }
            require(decodedOffset == offset, "message id offset round trip")
            var writer = ByteWriter(capacity: length)
            host.encode(into: &writer)
            require(writer.bytes.elementsEqual(storeHost), "message id host round trip")
        }
    }
}
