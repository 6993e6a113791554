// One error type for every decoder in the format module.
//
// It says where first (which structure, which byte offset) and then what was expected, so that a
// tool can prefix the file name and print one line: `commitlog/000… @ 0x1f40: …`.

public struct FormatError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was being decoded, e.g. "commitlog record", "index header", "checkpoint".
    public var structure: String
    /// The field, e.g. "BODYCRC", "TOTALSIZE", "indexCount".
    public var field: String
    /// Byte offset within the buffer (file) that was decoded.
    public var offset: Int
    /// What was expected and what was found, in words.
    public var expected: String

    public init(structure: String, field: String, offset: Int, expected: String) {
        self.structure = structure
        self.field = field
        self.offset = offset
        self.expected = expected
    }

    public var description: String {
        "@ \(offset) (0x\(String(offset, radix: 16))): \(structure) \(field): \(expected)"
    }
}
