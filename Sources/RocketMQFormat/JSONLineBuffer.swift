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

    /// A string repeated line after line (the file name, `JSONCursor.repeatedString`): its
    /// UTF-8 then its escaped JSON form, in raw memory so that checking it costs no ARC.
    private(set) var repeated: UnsafeMutableRawPointer?
    private(set) var repeatedCount = 0
    private(set) var repeatedJSONCount = 0

    /// Scratch for the properties map of the line being written (PropertyPairs).
    private(set) var pairs: UnsafeMutablePointer<PropertyPairs.Pair>?
    private(set) var pairCapacity = 0

    deinit {
        base.deallocate()
        pairs?.deallocate()
        repeated?.deallocate()
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

    /// Remembers `utf8` and the JSON text written for it.
    func remember(_ utf8: UnsafeRawBufferPointer, json: UnsafeRawBufferPointer) {
        repeated?.deallocate()
        let memory = UnsafeMutableRawPointer.allocate(byteCount: max(utf8.count + json.count, 1), alignment: 8)
        if let source = utf8.baseAddress { memory.copyMemory(from: source, byteCount: utf8.count) }
        if let source = json.baseAddress { (memory + utf8.count).copyMemory(from: source, byteCount: json.count) }
        repeated = memory
        repeatedCount = utf8.count
        repeatedJSONCount = json.count
    }

    /// The written bytes, in a new buffer (scratch and caches are not shared).
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
