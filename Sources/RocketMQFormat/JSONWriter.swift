// Writes JSONValue back to text: compact, or in fastjson 1.x's pretty layout (FORMAT.md §17).
//
// fastjson's PrettyFormat rules, which the broker's config files follow:
// * a member with a quoted (string) key starts on a new line, indented one tab per level;
// * a member with a bare (non-string map) key does not: `{1:20,2:5`;
// * a non-empty object or array closes on a new line at the outer indent: `{1:20\n\t}`;
// * an empty one is `{}` / `[]`;
// * array elements each start on a new line.
// So `{"offsetTable":{1:20}}` becomes `{\n\t"offsetTable":{1:20\n\t}\n}`.

public enum JSONWriter {
    public enum Style: Sendable {
        /// No whitespace at all.
        case compact
        /// fastjson's `PrettyFormat` layout (tabs).
        case fastjsonPretty
    }

    public static func string(_ value: JSONValue, style: Style = .fastjsonPretty) -> String {
        String(decoding: bytes(value, style: style), as: UTF8.self)
    }

    public static func bytes(_ value: JSONValue, style: Style = .fastjsonPretty) -> [UInt8] {
        var out: [UInt8] = []
        write(value, style: style, indent: 0, to: &out)
        return out
    }

    private static func newline(_ indent: Int, _ style: Style, _ out: inout [UInt8]) {
        guard style == .fastjsonPretty else { return }
        out.append(0x0A)
        out.append(contentsOf: repeatElement(0x09, count: indent))
    }

    private static func write(_ value: JSONValue, style: Style, indent: Int, to out: inout [UInt8]) {
        switch value {
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (i, member) in members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                if member.isBareKey {
                    out.append(contentsOf: member.key.utf8)
                } else {
                    newline(indent + 1, style, &out)
                    writeString(member.key, to: &out)
                }
                out.append(UInt8(ascii: ":"))
                write(member.value, style: style, indent: indent + 1, to: &out)
            }
            if !members.isEmpty { newline(indent, style, &out) }
            out.append(UInt8(ascii: "}"))
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (i, element) in elements.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(indent + 1, style, &out)
                write(element, style: style, indent: indent + 1, to: &out)
            }
            if !elements.isEmpty { newline(indent, style, &out) }
            out.append(UInt8(ascii: "]"))
        case .string(let text):
            writeString(text, to: &out)
        case .integer(let number):
            out.append(contentsOf: String(number).utf8)
        case .double(let number):
            // JSON has no infinity. The parser only yields one for a literal beyond the double
            // range (e.g. `3e626`), so write a literal that reads back as the same value rather
            // than fastjson's null, which would change the value on a rewrite. NaN cannot be
            // parsed; it stays null.
            let text = number.isFinite ? String(number) : number.isNaN ? "null" : number < 0 ? "-1e999" : "1e999"
            out.append(contentsOf: text.utf8)
        case .bool(let flag):
            out.append(contentsOf: (flag ? "true" : "false").utf8)
        case .null:
            out.append(contentsOf: "null".utf8)
        }
    }

    /// Quotes and escapes a string as fastjson does: `"`, `\`, and control characters; other
    /// characters (including non-ASCII) are written as UTF-8.
    private static func writeString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: #"\\"#.utf8)
            case 0x08: out.append(contentsOf: #"\b"#.utf8)
            case 0x0C: out.append(contentsOf: #"\f"#.utf8)
            case 0x0A: out.append(contentsOf: #"\n"#.utf8)
            case 0x0D: out.append(contentsOf: #"\r"#.utf8)
            case 0x09: out.append(contentsOf: #"\t"#.utf8)
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: #"\u00"#.utf8)
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xF)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
