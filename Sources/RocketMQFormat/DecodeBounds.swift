// RecordDecoder.decodeMessage's failure state and bounds checks (FORMAT.md §11.3).

/// `decodeMessage`'s failure state: the first reason Java would fail for, and whether every
/// field could be read; the bounds checks record their failure here.
struct DecodeBounds {
    let available: Int
    let totalSize: Int32
    var failure: RecordFailure?
    var complete = true

    init(available: Int, totalSize: Int32) {
        self.available = available
        self.totalSize = totalSize
    }

    mutating func fail(_ reason: RecordFailure) {
        if failure == nil { failure = reason }
        complete = false
    }

    /// True (and failed) when `needed` bytes at `at` run past the end of the file.
    mutating func truncated(_ field: RecordField, _ at: Int, _ needed: Int) -> Bool {
        if at + needed <= available { return false }
        fail(.truncated(field: field, needed: needed, available: max(0, available - at)))
        return true
    }

    /// True (and failed) when a length is negative or exceeds TOTALSIZE.
    mutating func exceedsTotal(_ field: RecordField, _ length: Int) -> Bool {
        guard length < 0 || length > Int(totalSize) else { return false }
        fail(.lengthOutOfRange(field: field, length: length, totalSize: totalSize))
        return true
    }
}
