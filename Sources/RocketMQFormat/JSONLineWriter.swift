// A small, allocation-free JSON writer for NDJSON output.
//
// It appends UTF-8 into one reusable byte buffer; a caller writes a line, hands the bytes to
// the output (`withBytes`), and resets. Strings that come from record bytes are escaped
// straight from the bytes (eight ASCII bytes at a time); malformed UTF-8 becomes U+FFFD, as
// Java decodes it. Hot formatters (RecordDescriber's message line) write through a
// `JSONCursor` and skip the per-call bookkeeping below.

public struct JSONLineWriter: @unchecked Sendable {
    // Value semantics: the buffer is copied before a write when the writer was copied
    // (`isKnownUniquelyReferenced`), so the class never leaks shared mutable state.
    private var buffer: JSONLineBuffer
    /// Bit d: the container at depth d (1-based) already holds an element. 64 levels are
    /// plenty for our lines; deeper levels keep their state in `deepComma`.
    private var commaBits: UInt64 = 0
    private var depth = 0
    private var deepComma: [Bool] = []
    private var pendingValue = false

    public init(capacity: Int = 4096) { buffer = JSONLineBuffer(capacity: capacity) }

    /// The line written so far (a copy; use `withBytes` on hot paths).
    public var bytes: [UInt8] { Array(buffer.bytes) }

    /// Calls `body` with the line written so far, without copying it.
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(buffer.bytes)  // `self` (so the buffer) lives for the call
    }

    public mutating func reset() {
        uniqueBuffer().count = 0
        commaBits = 0
        depth = 0
        deepComma.removeAll(keepingCapacity: true)
        pendingValue = false
    }

    /// Writes through a cursor; `body` must leave the JSON structure where it found it.
    mutating func withCursor<R>(_ body: (inout JSONCursor) -> R) -> R {
        var cursor = JSONCursor(buffer: uniqueBuffer())
        let result = body(&cursor)
        cursor.finish()
        return result
    }

    private mutating func uniqueBuffer() -> JSONLineBuffer {
        if !isKnownUniquelyReferenced(&buffer) { buffer = buffer.copy() }
        return buffer
    }

    // MARK: structure

    public mutating func beginObject() { open(UInt8(ascii: "{")) }
    public mutating func endObject() { close(UInt8(ascii: "}")) }
    public mutating func beginArray() { open(UInt8(ascii: "[")) }
    public mutating func endArray() { close(UInt8(ascii: "]")) }
    public mutating func newline() { withCursor { $0.byte(0x0A) } }

    /// Writes `"name":` inside an object.
    public mutating func key(_ name: StaticString) {
        separate()
        withCursor { c in
            c.byte(UInt8(ascii: "\""))
            c.raw(UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
            c.literal("\":")
        }
        pendingValue = true
    }

    public mutating func key(string name: String) {
        separate()
        withCursor { c in
            c.string(name)
            c.byte(UInt8(ascii: ":"))
        }
        pendingValue = true
    }

    public mutating func key(bytes name: UnsafeRawBufferPointer) {
        separate()
        withCursor { c in
            c.string(utf8: name)
            c.byte(UInt8(ascii: ":"))
        }
        pendingValue = true
    }

    // MARK: values

    public mutating func value<T: BinaryInteger>(_ number: T) {
        separate()
        withCursor { $0.decimal(number) }
    }

    public mutating func value(_ flag: Bool) {
        separate()
        withCursor { $0.bool(flag) }
    }

    public mutating func value(_ string: String) {
        separate()
        withCursor { $0.string(string) }
    }

    public mutating func value(_ string: String?) {
        if let string { value(string) } else { null() }
    }

    /// A JSON string of UTF-8 bytes (malformed sequences become U+FFFD).
    public mutating func value(utf8 raw: UnsafeRawBufferPointer) {
        separate()
        withCursor { $0.string(utf8: raw) }
    }

    public mutating func null() {
        separate()
        withCursor { $0.literal("null") }
    }

    /// Raw, already-valid JSON text.
    public mutating func raw(_ text: String) {
        separate()
        var text = text
        text.withUTF8 { utf8 in withCursor { $0.raw(UnsafeRawBufferPointer(utf8)) } }
    }

    // MARK: key + value shorthands

    public mutating func field<T: BinaryInteger>(_ name: StaticString, _ number: T) { key(name); value(number) }
    /// The number, or `null` when absent.
    public mutating func field<T: BinaryInteger>(_ name: StaticString, _ number: T?) {
        key(name)
        if let number { value(number) } else { null() }
    }
    public mutating func field(_ name: StaticString, _ flag: Bool) { key(name); value(flag) }
    public mutating func field(_ name: StaticString, _ string: String) { key(name); value(string) }
    public mutating func field(_ name: StaticString, _ string: String?) { key(name); value(string) }
    public mutating func field(_ name: StaticString, utf8 raw: UnsafeRawBufferPointer) { key(name); value(utf8: raw) }

    // MARK: internals

    private mutating func open(_ bracket: UInt8) {
        separate()
        withCursor { $0.byte(bracket) }
        depth += 1
        setHasElement(false)
    }

    private mutating func close(_ bracket: UInt8) {
        withCursor { $0.byte(bracket) }
        if depth > 64 { deepComma.removeLast() }
        depth = max(depth - 1, 0)
    }

    private func hasElement() -> Bool {
        depth <= 64 ? commaBits & (1 << UInt64(depth - 1)) != 0 : deepComma[deepComma.count - 1]
    }

    private mutating func setHasElement(_ flag: Bool) {
        if depth <= 64 {
            let bit: UInt64 = 1 << UInt64(depth - 1)
            commaBits = flag ? commaBits | bit : commaBits & ~bit
        } else if flag {
            deepComma[deepComma.count - 1] = true
        } else {
            deepComma.append(false)
        }
    }

    private mutating func separate() {
        if pendingValue {
            pendingValue = false
            return
        }
        guard depth > 0 else { return }
        if hasElement() { withCursor { $0.byte(UInt8(ascii: ",")) } }
        setHasElement(true)
    }
}
