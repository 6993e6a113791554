// One file of a segmented queue (commitlog or consume queue): name = 20-digit start offset.

public struct SegmentFile: Sendable, Hashable {
    /// The file name, e.g. `00000000000000065536`.
    public var name: String
    /// Absolute path.
    public var path: String
    /// Path relative to the store root, for messages.
    public var relativePath: String
    /// The offset the name stands for (`fileFromOffset`).
    public var fromOffset: Int64
    /// The actual size on disk.
    public var size: Int64
    public var modificationTime: Int64

    /// A 20-digit decimal name, as RocketMQ's `UtilAll.offset2FileName` writes it.
    public static func parseName(_ name: String) -> Int64? {
        guard name.utf8.count == 20, name.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int64(name)
    }

    /// `UtilAll.offset2FileName`.
    public static func name(forOffset offset: Int64) -> String {
        let digits = String(offset)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits
    }
}

/// A directory entry the store's loader would not expect (a stray name, a subdirectory).
public struct StrayEntry: Sendable, Hashable {
    public var relativePath: String
    public var reason: String
}
