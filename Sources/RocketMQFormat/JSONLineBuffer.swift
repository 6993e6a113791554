// The storage behind a JSONLineWriter: one growable byte buffer, reused line after line.
//
// A class (not [UInt8]) so the hot path can write through a raw pointer between two
// capacity checks instead of paying Array's uniqueness and bounds checks on every append.
// JSONLineWriter keeps value semantics by copying it before a write when it is shared.

final class JSONLineBuffer {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var capacity: Int
    var count = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 64)
        base = .allocate(capacity: self.capacity)
    }

    /// The last file name written by `JSONCursor.fileName` and its escaped form: every
    /// line of a file repeats it.
    var cachedFileName = ""
    var cachedFileNameJSON: [UInt8] = []

    /// Scratch for the properties map of the line being written (PropertyPairs).
    private var pairs: UnsafeMutablePointer<PropertyPairs.Pair>?
    private var pairCapacity = 0

    deinit {
        base.deallocate()
        pairs?.deallocate()
    }

    /// Room for `count` pairs, reused from line to line (grown, never shrunk).
    func pairScratch(_ count: Int) -> UnsafeMutablePointer<PropertyPairs.Pair> {
        if let pairs, pairCapacity >= count { return pairs }
        pairs?.deallocate()
        pairCapacity = max(count, 64)
        let fresh = UnsafeMutablePointer<PropertyPairs.Pair>.allocate(capacity: pairCapacity)
        pairs = fresh
        return fresh
    }

    func copy() -> JSONLineBuffer {
        let clone = JSONLineBuffer(capacity: capacity)
        clone.base.update(from: base, count: count)
        clone.count = count
        return clone
    }

    /// Makes room for at least `minimumCapacity` bytes in all, keeping the first `count`.
    func grow(toAtLeast minimumCapacity: Int) {
        guard minimumCapacity > capacity else { return }
        var newCapacity = capacity * 2
        while newCapacity < minimumCapacity { newCapacity *= 2 }
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        grown.update(from: base, count: count)
        base.deallocate()
        base = grown
        capacity = newCapacity
    }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
}
