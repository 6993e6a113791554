// The DELAY value of a record whose check failed on it (`RecordFailure.invalidDelayLevel`):
// its first 32 bytes held inline and its length, so that the failure holds no reference (see
// RecordField). The text is for people; a longer value is shown cut, with its length.

public struct DelayText: Sendable, Hashable, CustomStringConvertible {
    public static let capacity = 32
    private var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    /// Length of the whole value in bytes.
    public let count: Int

    public init(_ bytes: UnsafeRawBufferPointer) {
        count = bytes.count
        withUnsafeMutableBytes(of: &words) { storage in
            for i in 0..<min(bytes.count, Self.capacity) { storage[i] = bytes[i] }
        }
    }

    public init(_ text: String) {
        self = Array(text.utf8).withUnsafeBytes { DelayText($0) }
    }

    /// The bytes held (at most `capacity`).
    public var prefix: [UInt8] {
        withUnsafeBytes(of: words) { Array($0.prefix(min(count, Self.capacity))) }
    }

    public var description: String {
        let text = String(decoding: prefix, as: UTF8.self)
        return count > Self.capacity ? text + "… (\(count) bytes)" : text
    }

    public static func == (a: DelayText, b: DelayText) -> Bool { a.count == b.count && a.prefix == b.prefix }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        hasher.combine(prefix)
    }
}
