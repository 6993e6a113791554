// The properties map as Java builds it (later duplicates win), sorted by key bytes, in a
// scratch buffer the JSON writer keeps: the dump reads `properties`, TAGS, DELAY, KEYS and UNIQ_KEY from one
// parse of the properties string instead of five.

enum PropertyPairs {
    struct Pair {
        var key: UnsafeRawBufferPointer
        var value: UnsafeRawBufferPointer
        /// Where the escaped key and value already stand in the line being written (offsets
        /// into the line buffer), when `JSONCursor.propertiesRaw` could tell; else empty.
        var keyJSON: Range<Int> = 0..<0
        var valueJSON: Range<Int> = 0..<0
    }

    /// Room `collect` may need for `properties`: a kept pair takes at least 3 bytes (key,
    /// 0x01, value) plus a separator between pairs.
    static func capacity(for properties: UnsafeRawBufferPointer) -> Int { properties.count / 3 + 1 }

    /// Writes the distinct keys of `properties` with their last values into `storage`
    /// (room for `capacity(for:)` pairs), keys sorted by bytes (the dump's stable order);
    /// returns how many.
    static func collect(_ properties: UnsafeRawBufferPointer, into storage: UnsafeMutablePointer<Pair>) -> Int {
        let capacity = capacity(for: properties)
        var count = 0
        MessageProperties.forEachPair(in: properties) { key, value in
            for i in 0..<count where equal(storage[i].key, key) {
                storage[i].value = value
                return
            }
            guard count < capacity else { return }
            (storage + count).initialize(to: Pair(key: key, value: value))
            count += 1
        }
        sort(storage, count: count)
        return count
    }

    /// Adds a pair in Java's map order rules (a later duplicate replaces the value);
    /// `count` pairs are in `storage` already.
    @inline(__always)
    static func add(_ pair: Pair, to storage: UnsafeMutablePointer<Pair>, count: inout Int) {
        for i in 0..<count where equal(storage[i].key, pair.key) {
            storage[i].value = pair.value
            storage[i].valueJSON = pair.valueJSON
            return
        }
        (storage + count).initialize(to: pair)
        count += 1
    }

    /// Insertion sort by key bytes: a handful of pairs per record.
    static func sort(_ storage: UnsafeMutablePointer<Pair>, count: Int) {
        var i = 1
        while i < count {
            let pair = storage[i]
            var j = i - 1
            while j >= 0 && precedes(pair.key, storage[j].key) {
                storage[j + 1] = storage[j]
                j -= 1
            }
            storage[j + 1] = pair
            i += 1
        }
    }

    /// The value of `key` among distinct `pairs`.
    static func value(of key: StaticString, in pairs: UnsafeBufferPointer<Pair>) -> UnsafeRawBufferPointer? {
        let name = UnsafeRawBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount)
        for pair in pairs where equal(pair.key, name) { return pair.value }
        return nil
    }

    @inline(__always)
    static func equal(_ a: UnsafeRawBufferPointer, _ name: StaticString) -> Bool {
        equal(a, UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
    }

    @inline(__always)
    static func equal(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        a.count == b.count && (a.count == 0 || memoryEqual(a.baseAddress!, b.baseAddress!, a.count))
    }

    /// Byte-wise lexicographic order (`lexicographicallyPrecedes` on UInt8).
    static func precedes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        let common = min(a.count, b.count)
        for i in 0..<common {
            let x = a[i], y = b[i]
            if x != y { return x < y }
        }
        return a.count < b.count
    }

    private static func memoryEqual(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ count: Int) -> Bool {
        for i in 0..<count where a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) {
            return false
        }
        return true
    }
}
