// Born and store host fields: 4 (IPv4) or 16 (IPv6) address bytes, then the port as an i32.

public struct HostAddress: Sendable, Hashable, CustomStringConvertible {
    /// 4 or 16 bytes, network order.
    public var address: [UInt8]
    public var port: Int32

    public init(address: [UInt8], port: Int32) {
        precondition(address.count == 4 || address.count == 16, "an IP address has 4 or 16 bytes")
        self.address = address
        self.port = port
    }

    public var isIPv6: Bool { address.count == 16 }
    /// Bytes on disk: address then port.
    public var encodedLength: Int { address.count + 4 }

    /// Decodes the field at `offset`; `length` is 8 or 20 (from the sysflag bits).
    public static func decode(_ buffer: UnsafeRawBufferPointer, at offset: Int, length: Int) -> HostAddress? {
        guard let bytes = buffer.slice(at: offset, length: length) else { return nil }
        let addressLength = length - 4
        let port: Int32 = bytes.readBigEndianUnchecked(at: addressLength)
        return HostAddress(address: Array(bytes[0..<addressLength]), port: port)
    }

    public func encode(into writer: inout ByteWriter) {
        writer.write(contentsOf: address)
        writer.write(port)
    }

    /// Java's text: `a.b.c.d:port`, or `[x:x:x:x:x:x:x:x]:port` with Java's uncompressed IPv6 form.
    public var description: String { "\(hostText):\(port)" }

    public var hostText: String {
        if address.count == 4 {
            return "\(address[0]).\(address[1]).\(address[2]).\(address[3])"
        }
        var groups: [String] = []
        groups.reserveCapacity(8)
        for i in stride(from: 0, to: 16, by: 2) {
            groups.append(String(UInt16(address[i]) << 8 | UInt16(address[i + 1]), radix: 16))
        }
        return "[" + groups.joined(separator: ":") + "]"
    }

    /// Parses `a.b.c.d:port`, `[v6]:port` (full or `::`-compressed form).
    public init?(parsing text: String) {
        if text.hasPrefix("[") {
            guard let close = text.lastIndex(of: "]") else { return nil }
            let host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":"), let port = Int32(rest.dropFirst()), let bytes = Self.parseIPv6(host) else {
                return nil
            }
            self.init(address: bytes, port: port)
            return
        }
        guard let colon = text.lastIndex(of: ":"), let port = Int32(text[text.index(after: colon)...]) else {
            return nil
        }
        let parts = text[..<colon].split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard let value = UInt8(part) else { return nil }
            bytes.append(value)
        }
        self.init(address: bytes, port: port)
    }

    static func parseIPv6(_ host: String) -> [UInt8]? {
        let halves = host.components(separatedByString: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ s: String) -> [UInt16]? {
            if s.isEmpty { return [] }
            var out: [UInt16] = []
            for part in s.split(separator: ":", omittingEmptySubsequences: false) {
                guard part.count >= 1, part.count <= 4, let value = UInt16(part, radix: 16) else { return nil }
                out.append(value)
            }
            return out
        }
        guard let head = groups(halves[0]) else { return nil }
        var all = head
        if halves.count == 2 {
            guard let tail = groups(halves[1]), head.count + tail.count <= 7 else { return nil }
            all += Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        }
        guard all.count == 8 else { return nil }
        return all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }
}

extension String {
    /// Splits on a multi-character separator (no Foundation in this module).
    public func components(separatedByString separator: String) -> [String] {
        var result: [String] = []
        var current = Substring(self)
        while let range = current.firstRange(of: separator) {
            result.append(String(current[..<range.lowerBound]))
            current = current[range.upperBound...]
        }
        result.append(String(current))
        return result
    }
}
