// Geometry of one IndexFile, FORMAT.md §8.1.
//
// The slot count H (`maxHashSlotNum`) and entry count N (`maxIndexNum`) are broker settings and
// are NOT stored in the file. A reader must be told them, or guess them from the file size.

public struct IndexFileLayout: Sendable, Hashable, CustomStringConvertible {
    public static let headerSize = IndexHeader.size
    /// `hashSlotSize`.
    public static let slotSize = 4
    /// `indexSize`.
    public static let entrySize = IndexEntry.size

    public static let defaultHashSlotNum = 5_000_000
    public static let defaultIndexNum = 20_000_000

    /// The broker defaults: 420000040-byte files.
    public static let `default` = IndexFileLayout(
        checkedHashSlotNum: defaultHashSlotNum, indexNum: defaultIndexNum)

    /// H, `maxHashSlotNum`.
    public let hashSlotNum: Int
    /// N, `maxIndexNum`. Entry 0 is never used, so a file holds N − 1 entries.
    public let indexNum: Int
    /// ⌊(2⁶⁴ − 1) / H⌋ + 1 (wrapping): `slot(forKeyHash:)` takes the remainder by H with two
    /// multiplications instead of a division (Lemire's fastmod). A rebuild computes a slot for
    /// each of millions of keys, twice (to request the line early, then to write it).
    private let slotReciprocal: UInt64

    /// Nil when H < 1, N < 2, or the file would be larger than an Int32 can address (Java maps an
    /// index file as one buffer, so positions are ints).
    public init?(hashSlotNum: Int, indexNum: Int) {
        guard hashSlotNum >= 1, indexNum >= 2,
              hashSlotNum <= (Int(Int32.max) - Self.headerSize) / Self.slotSize,
              indexNum <= (Int(Int32.max) - Self.headerSize - Self.slotSize * hashSlotNum) / Self.entrySize
        else { return nil }
        self.init(checkedHashSlotNum: hashSlotNum, indexNum: indexNum)
    }

    private init(checkedHashSlotNum: Int, indexNum: Int) {
        self.hashSlotNum = checkedHashSlotNum
        self.indexNum = indexNum
        slotReciprocal = UInt64.max / UInt64(checkedHashSlotNum) &+ 1
    }

    /// 40 + 4H + 20N.
    public var fileSize: Int { Self.headerSize + Self.slotSize * hashSlotNum + Self.entrySize * indexNum }

    /// Byte position of the first entry (entry 0, which is never used).
    public var entriesStart: Int { Self.headerSize + Self.slotSize * hashSlotNum }

    /// Byte position of slot `slot` (0 ..< H).
    public func slotPosition(_ slot: Int) -> Int { Self.headerSize + Self.slotSize * slot }

    /// Byte position of entry number `index` (0 ..< N).
    public func entryPosition(_ index: Int) -> Int { entriesStart + Self.entrySize * index }

    /// The slot of a (non-negative) key hash: `keyHash % hashSlotNum`. Exact for every 32-bit
    /// dividend and divisor (H < 2²⁹ here); a negative hash takes Java's `%` as it is.
    public func slot(forKeyHash keyHash: Int32) -> Int {
        guard keyHash >= 0 else { return Int(keyHash) % hashSlotNum }
        let low = slotReciprocal &* UInt64(UInt32(keyHash))
        return Int(low.multipliedFullWidth(by: UInt64(hashSlotNum)).high)
    }

    /// Checks that a file of `fileSize` bytes has this layout.
    public func validate(fileSize actual: Int) throws(FormatError) {
        guard actual == fileSize else {
            throw FormatError(
                structure: "index file", field: "file size", offset: 0,
                expected: "\(fileSize) bytes for \(hashSlotNum) slots and \(indexNum) entries, found \(actual)")
        }
    }

    /// Guesses the layout from a file size, for stores whose broker config is unknown.
    ///
    /// Heuristic: both the broker default (5000000/20000000) and every small test layout seen so
    /// far (e.g. 64/256 → 5416 bytes) have N = 4·H, so the size is 40 + 84·H and H is unique. Any
    /// other size gives nil: then H and N must be given explicitly, because 40 + 4H + 20N = size
    /// has many solutions.
    public static func infer(fileSize: Int) -> IndexFileLayout? {
        if fileSize == Self.default.fileSize { return .default }
        let rest = fileSize - headerSize
        let perSlot = slotSize + 4 * entrySize
        guard rest > 0, rest % perSlot == 0 else { return nil }
        let slots = rest / perSlot
        return IndexFileLayout(hashSlotNum: slots, indexNum: 4 * slots)
    }

    public var description: String { "IndexFileLayout(hashSlotNum: \(hashSlotNum), indexNum: \(indexNum))" }
}
