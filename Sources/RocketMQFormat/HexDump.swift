// `hexdump -C`-style text for a record's bytes or a body.

public enum HexDump {
    /// Bytes one line can take: indent, offset (up to "-8000000000000000"), two spaces,
    /// 16 × "xx " plus the middle space, " |", 16 characters, "|" and the newline.
    private static func lineCapacity(indent: Int) -> Int { indent + 17 + 2 + 49 + 2 + 16 + 1 + 1 }

    /// 16 bytes a line: offset, hex, ASCII. `startOffset` is the offset printed for byte 0.
    ///
    /// Written into one byte buffer and made a String once: `dump --body hex` calls this for
    /// every record, so it must not allocate per byte or per line.
    public static func format(_ bytes: UnsafeRawBufferPointer, startOffset: Int64, indent: String = "") -> String {
        guard !bytes.isEmpty else { return "" }
        var indentText = indent
        return indentText.withUTF8 { indentBytes in
            let lines = (bytes.count + 15) / 16
            return String(unsafeUninitializedCapacity: lines * lineCapacity(indent: indentBytes.count)) { out in
                var n = 0
                @inline(__always) func put(_ byte: UInt8) {
                    out[n] = byte
                    n += 1
                }
                var i = 0
                while i < bytes.count {
                    if i > 0 { put(UInt8(ascii: "\n")) }
                    for byte in indentBytes { put(byte) }
                    n += writeOffset(startOffset &+ Int64(i), into: UnsafeMutableBufferPointer(rebasing: out[n...]))
                    put(UInt8(ascii: " "))
                    put(UInt8(ascii: " "))
                    let end = min(i + 16, bytes.count)
                    for j in 0..<16 {
                        if i + j < end {
                            let byte = bytes[i + j]
                            put(Hex.lowerDigits[Int(byte >> 4)])
                            put(Hex.lowerDigits[Int(byte & 0xF)])
                        } else {
                            put(UInt8(ascii: " "))
                            put(UInt8(ascii: " "))
                        }
                        put(UInt8(ascii: " "))
                        if j == 7 { put(UInt8(ascii: " ")) }
                    }
                    put(UInt8(ascii: " "))
                    put(UInt8(ascii: "|"))
                    for k in i..<end {
                        let byte = bytes[k]
                        put((0x20...0x7E).contains(byte) ? byte : UInt8(ascii: "."))
                    }
                    put(UInt8(ascii: "|"))
                    i = end
                }
                return n
            }
        }
    }

    /// The offset in lowercase hex, at least 8 digits (as `String(_:radix: 16)` zero-padded);
    /// returns the number of bytes written.
    private static func writeOffset(_ value: Int64, into out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        if value < 0 {
            // Never for a real file offset; kept as the text the String version printed.
            var text = String(value, radix: 16)
            let padding = max(0, 8 - text.utf8.count)
            for k in 0..<padding { out[k] = UInt8(ascii: "0") }
            return text.withUTF8 { utf8 in
                for (k, byte) in utf8.enumerated() { out[padding + k] = byte }
                return padding + utf8.count
            }
        }
        var digits = 8
        while digits < 16 && value >> (4 * digits) != 0 { digits += 1 }
        for k in 0..<digits {
            out[k] = Hex.lowerDigits[Int((value >> (4 * (digits - 1 - k))) & 0xF)]
        }
        return digits
    }
}
