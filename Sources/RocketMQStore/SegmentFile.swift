// One file of a segmented queue (commitlog or consume queue): name = 20-digit start offset.

public struct SegmentFile: Sendable, Hashable {
    // The three strings live in one shared box: readers hand a file along with every record
    // they visit, and copying one reference is one retain where three strings were three.
    private final class Names: Sendable {
        let name: String
        let path: String
        let relativePath: String

        init(name: String, path: String, relativePath: String) {
            self.name = name
            self.path = path
            self.relativePath = relativePath
        }
    }

    private var names: Names
    /// The offset the name stands for (`fileFromOffset`).
    public var fromOffset: Int64
    /// The actual size on disk.
    public var size: Int64
    public var modificationTime: Int64

    public init(name: String, path: String, relativePath: String, fromOffset: Int64, size: Int64, modificationTime: Int64) {
        names = Names(name: name, path: path, relativePath: relativePath)
        self.fromOffset = fromOffset
        self.size = size
        self.modificationTime = modificationTime
    }

    /// The file name, e.g. `00000000000000065536`.
    public var name: String {
        get { names.name }
        set { names = Names(name: newValue, path: names.path, relativePath: names.relativePath) }
    }
    /// Absolute path.
    public var path: String {
        get { names.path }
        set { names = Names(name: names.name, path: newValue, relativePath: names.relativePath) }
    }
    /// Path relative to the store root, for messages.
    public var relativePath: String {
        get { names.relativePath }
        set { names = Names(name: names.name, path: names.path, relativePath: newValue) }
    }

    public static func == (lhs: SegmentFile, rhs: SegmentFile) -> Bool {
        lhs.fromOffset == rhs.fromOffset && lhs.size == rhs.size && lhs.modificationTime == rhs.modificationTime
            && lhs.name == rhs.name && lhs.path == rhs.path && lhs.relativePath == rhs.relativePath
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(path)
        hasher.combine(relativePath)
        hasher.combine(fromOffset)
        hasher.combine(size)
        hasher.combine(modificationTime)
    }

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
