// A small, lenient JSON parser for the broker's config files, FORMAT.md §17.
//
// RocketMQ writes them with fastjson 1.x, which is not strict JSON: integer map keys are bare
// (`{0:5280,1:5312}`) and pretty printing puts tabs and newlines between tokens. This accepts
// strict JSON plus what fastjson itself reads back: bare integer or identifier keys,
// single-quoted strings, trailing commas, a UTF-8 byte order mark, and raw control characters
// inside strings. It never traps: every problem is a FormatError with the byte offset, and
// nesting is limited so hostile input cannot exhaust the stack.

public enum FastJSON {
    /// Default nesting limit; config files nest four or five levels.
    public static let defaultMaxDepth = 256

    /// Parses one JSON value filling the whole buffer (surrounding whitespace allowed).
    public static func parse(
        _ bytes: UnsafeRawBufferPointer, maxDepth: Int = defaultMaxDepth
    ) throws(FormatError) -> JSONValue {
        var parser = Parser(bytes: bytes, maxDepth: maxDepth)
        return try parser.parseDocument()
    }

    /// Parses a byte array.
    public static func parse(_ bytes: [UInt8], maxDepth: Int = defaultMaxDepth) throws(FormatError) -> JSONValue {
        // `withUnsafeBytes` is not typed-throws aware, so carry the result out explicitly.
        let result: Result<JSONValue, FormatError> = bytes.withUnsafeBytes { raw in
            do throws(FormatError) { return .success(try parse(raw, maxDepth: maxDepth)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Parses a string's UTF-8 bytes.
    public static func parse(_ text: String, maxDepth: Int = defaultMaxDepth) throws(FormatError) -> JSONValue {
        try parse(Array(text.utf8), maxDepth: maxDepth)
    }
}

private struct Parser {
    let bytes: UnsafeRawBufferPointer
    let maxDepth: Int
    var position = 0
    var depth = 0

    init(bytes: UnsafeRawBufferPointer, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    func error(_ field: String, _ expected: String, at offset: Int? = nil) -> FormatError {
        FormatError(structure: "JSON", field: field, offset: offset ?? position, expected: expected)
    }

    var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    /// What was found, for error messages.
    var found: String {
        guard let byte = current else { return "end of input" }
        if byte >= 0x20 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x" + String(byte, radix: 16)
    }

    mutating func parseDocument() throws(FormatError) -> JSONValue {
        // A UTF-8 byte order mark is skipped, as Java readers do.
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { position = 3 }
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        guard position == bytes.count else { throw error("document", "end of input after the value, found \(found)") }
        return value
    }

    /// fastjson's whitespace: space, tab, LF, CR, form feed and backspace.
    mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x0C || byte == 0x08 {
            position += 1
        }
    }

    mutating func parseValue() throws(FormatError) -> JSONValue {
        guard let byte = current else { throw error("value", "a value, found end of input") }
        switch byte {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""), UInt8(ascii: "'"): return .string(try parseString())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        default: throw error("value", "a value, found \(found)")
        }
    }

    mutating func expectLiteral(_ literal: StaticString) throws(FormatError) {
        let start = position
        let text = UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        for expected in text {
            guard current == expected else { throw error("value", "'\(literal)'", at: start) }
            position += 1
        }
    }

    mutating func enter() throws(FormatError) {
        depth += 1
        guard depth <= maxDepth else { throw error("value", "nesting of at most \(maxDepth) levels") }
    }

    mutating func parseObject() throws(FormatError) -> JSONValue {
        try enter()
        position += 1  // '{'
        var members: [JSONMember] = []
        while true {
            skipWhitespace()
            if current == UInt8(ascii: "}") { position += 1; break }
            let (key, isBare) = try parseKey()
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw error("object", "':' after key \"\(key)\", found \(found)") }
            position += 1
            skipWhitespace()
            members.append(JSONMember(key: key, value: try parseValue(), isBareKey: isBare))
            skipWhitespace()
            if current == UInt8(ascii: ",") { position += 1; continue }
            if current == UInt8(ascii: "}") { position += 1; break }
            throw error("object", "',' or '}', found \(found)")
        }
        depth -= 1
        return .object(members)
    }

    /// A quoted key, or a bare one as fastjson writes for integer keys: an optional sign and
    /// digits, or a Java identifier.
    mutating func parseKey() throws(FormatError) -> (String, Bool) {
        guard let byte = current else { throw error("object key", "a key or '}', found end of input") }
        if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") { return (try parseString(), false) }
        let start = position
        if byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+") || isDigit(byte) {
            position += 1
            while let next = current, isDigit(next) { position += 1 }
        } else if isIdentifierStart(byte) {
            while let next = current, isIdentifierStart(next) || isDigit(next) { position += 1 }
        }
        let key = String(decoding: bytes[start..<position], as: UTF8.self)
        guard position > start, key != "-", key != "+" else {
            throw error("object key", "a quoted or bare key, found \(found)", at: start)
        }
        return (key, true)
    }

    func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    func isIdentifierStart(_ byte: UInt8) -> Bool {
        (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z")
            || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "$")
    }

    mutating func parseArray() throws(FormatError) -> JSONValue {
        try enter()
        position += 1  // '['
        var elements: [JSONValue] = []
        while true {
            skipWhitespace()
            if current == UInt8(ascii: "]") { position += 1; break }
            elements.append(try parseValue())
            skipWhitespace()
            if current == UInt8(ascii: ",") { position += 1; continue }
            if current == UInt8(ascii: "]") { position += 1; break }
            throw error("array", "',' or ']', found \(found)")
        }
        depth -= 1
        return .array(elements)
    }

    mutating func parseNumber() throws(FormatError) -> JSONValue {
        let start = position
        if current == UInt8(ascii: "-") { position += 1 }
        let digitsStart = position
        while let byte = current, isDigit(byte) { position += 1 }
        guard position > digitsStart else { throw error("number", "a digit, found \(found)") }
        var integral = true
        if current == UInt8(ascii: ".") {
            integral = false
            position += 1
            let fractionStart = position
            while let byte = current, isDigit(byte) { position += 1 }
            guard position > fractionStart else { throw error("number", "a digit after '.', found \(found)") }
        }
        if let byte = current, byte | 0x20 == UInt8(ascii: "e") {
            integral = false
            position += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
            let exponentStart = position
            while let byte = current, isDigit(byte) { position += 1 }
            guard position > exponentStart else { throw error("number", "a digit in the exponent, found \(found)") }
        }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        if integral, let value = JavaString.parseLong(text) { return .integer(value) }
        guard let value = Double(text) else { throw error("number", "a number", at: start) }
        return .double(value)
    }

    /// A string in double or single quotes; returns its decoded text.
    mutating func parseString() throws(FormatError) -> String {
        let start = position
        let quote = bytes[position]
        position += 1
        var utf8: [UInt8] = []
        while true {
            guard let byte = current else {
                throw error("string", "closing quote of the string that starts at \(start), found end of input")
            }
            position += 1
            if byte == quote { break }
            if byte != UInt8(ascii: "\\") { utf8.append(byte); continue }
            guard let escape = current else { throw error("string", "an escape character, found end of input") }
            position += 1
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escape)
            case UInt8(ascii: "b"): utf8.append(0x08)
            case UInt8(ascii: "f"): utf8.append(0x0C)
            case UInt8(ascii: "n"): utf8.append(0x0A)
            case UInt8(ascii: "r"): utf8.append(0x0D)
            case UInt8(ascii: "t"): utf8.append(0x09)
            case UInt8(ascii: "u"): appendScalar(try parseUnicodeEscape(), to: &utf8)
            default: throw error("string", "a valid escape after '\\', found \(Character(Unicode.Scalar(escape)))", at: position - 1)
            }
        }
        // Malformed UTF-8 becomes U+FFFD, as Java's decoder does.
        return String(decoding: utf8, as: UTF8.self)
    }

    /// After `\u`: four hex digits, joined with a following `\uDC00`-range escape when this is a
    /// high surrogate. Lone surrogates become U+FFFD.
    mutating func parseUnicodeEscape() throws(FormatError) -> Unicode.Scalar {
        let high = try parseHex4()
        guard (0xD800...0xDBFF).contains(high) else { return Unicode.Scalar(high) ?? "\u{FFFD}" }
        guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u")
        else { return "\u{FFFD}" }
        let save = position
        position += 2
        let low = try parseHex4()
        guard (0xDC00...0xDFFF).contains(low) else {
            position = save  // the next escape stands on its own
            return "\u{FFFD}"
        }
        return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)) ?? "\u{FFFD}"
    }

    mutating func parseHex4() throws(FormatError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = current, let digit = hexValue(byte) else {
                throw error("string", "four hex digits after \\u, found \(found)")
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(byte - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }

    func appendScalar(_ scalar: Unicode.Scalar, to utf8: inout [UInt8]) {
        UTF8.encode(scalar) { utf8.append($0) }
    }
}
