// Offset message ids (FORMAT.md §6): store host address + port + PHYSICALOFFSET, upper-case hex.

public enum MessageId {
    /// 32 hex chars for an IPv4 store host, 56 for IPv6.
    public static func offsetMessageId(storeHost: UnsafeRawBufferPointer, physicalOffset: Int64) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(storeHost.count + 8)
        bytes.append(contentsOf: storeHost)
        withUnsafeBytes(of: physicalOffset.bigEndian) { bytes.append(contentsOf: $0) }
        return Hex.upper(bytes)
    }

    public static func offsetMessageId(storeHost: HostAddress, physicalOffset: Int64) -> String {
        var writer = ByteWriter(capacity: 28)
        storeHost.encode(into: &writer)
        return writer.bytes.withUnsafeBytes { offsetMessageId(storeHost: $0, physicalOffset: physicalOffset) }
    }

    /// The physical offset an offset message id names, in either case of hex (its store host
    /// is not checked: a store cannot know which address it was served under).
    public static func physicalOffset(ofOffsetMessageId id: String) -> Int64? {
        decodeOffsetMessageId(id.uppercased())?.physicalOffset
    }

    /// `MessageDecoder.decodeMessageId`: 32 chars means IPv4, 56 means IPv6.
    public static func decodeOffsetMessageId(_ id: String) -> (storeHost: HostAddress, physicalOffset: Int64)? {
        guard id.utf8.count == 32 || id.utf8.count == 56, let bytes = Hex.decode(id) else { return nil }
        let addressLength = bytes.count == 16 ? 4 : 16
        return bytes.withUnsafeBytes { raw in
            guard let host = HostAddress.decode(raw, at: 0, length: addressLength + 4),
                  let offset: Int64 = raw.readBigEndian(at: addressLength + 4) else { return nil }
            return (host, offset)
        }
    }
}

/// Hex text helpers shared by ids, digests and hex dumps.
public enum Hex {
    static let upperDigits = Array("0123456789ABCDEF".utf8)
    static let lowerDigits = Array("0123456789abcdef".utf8)

    public static func upper<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 { encode(bytes, upperDigits) }
    public static func lower<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 { encode(bytes, lowerDigits) }

    static func encode<C: Collection>(_ bytes: C, _ digits: [UInt8]) -> String where C.Element == UInt8 {
        String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            var i = 0
            for byte in bytes {
                out[i] = digits[Int(byte >> 4)]
                out[i + 1] = digits[Int(byte & 0xF)]
                i += 2
            }
            return i
        }
    }

    /// Decodes hex text (either case); nil on an odd length or a non-hex character.
    public static func decode(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x41...0x46: c - 0x41 + 10
            case 0x61...0x66: c - 0x61 + 10
            default: nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count / 2)
        var i = 0
        while i < utf8.count {
            guard let hi = nibble(utf8[i]), let lo = nibble(utf8[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }
}
