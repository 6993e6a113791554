// `hexdump -C`-style text for a record's bytes or a body.

public enum HexDump {
    /// 16 bytes a line: offset, hex, ASCII. `startOffset` is the offset printed for byte 0.
    public static func format(_ bytes: UnsafeRawBufferPointer, startOffset: Int64, indent: String = "") -> String {
        var lines: [String] = []
        var i = 0
        while i < bytes.count {
            let end = min(i + 16, bytes.count)
            let chunk = UnsafeRawBufferPointer(rebasing: bytes[i..<end])
            let offsetText = String(startOffset + Int64(i), radix: 16)
            var line = indent + String(repeating: "0", count: max(0, 8 - offsetText.count)) + offsetText + "  "
            for j in 0..<16 {
                if j < chunk.count { line += Hex.lower([chunk[j]]) + " " } else { line += "   " }
                if j == 7 { line += " " }
            }
            line += " |"
            for byte in chunk { line += (0x20...0x7E).contains(byte) ? String(UnicodeScalar(byte)) : "." }
            line += "|"
            lines.append(line)
            i = end
        }
        return lines.joined(separator: "\n")
    }
}
