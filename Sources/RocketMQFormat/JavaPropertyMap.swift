// A message's property map with Java `HashMap` iteration order, so that a properties string
// re-serialized by the engine (the delay rewrite adds REAL_TOPIC/REAL_QID, §12.1) has exactly
// the bytes a broker's `messageProperties2String` would give for the same map.
//
// Java's HashMap (default capacity 16, load factor 0.75, doubling) iterates bucket by bucket,
// bucket = (h ^ (h >>> 16)) & (capacity − 1) with h = String.hashCode; within a bucket, entries
// keep insertion order (resizing splits buckets preserving it; replacing a value keeps the
// entry's place). Every stored properties string of the 4.9.8 fixtures is in this order.
// Treeified buckets (8+ colliding keys) are not modelled.

public struct JavaPropertyMap: Sendable, Hashable {
    /// Entries in insertion order.
    public private(set) var entries: [(key: String, value: String)] = []
    /// The table capacity: grows with the largest size reached, never shrinks (as Java's).
    public private(set) var capacity = 16

    public init() {}

    /// The map `string2messageProperties` builds from a stored string (parsing rules of §5;
    /// later duplicates replace the value in place).
    public init(parsing bytes: UnsafeRawBufferPointer) {
        for (key, value) in MessageProperties.pairs(bytes) { self[key] = value }
    }

    public init(parsing bytes: [UInt8]) {
        self = bytes.withUnsafeBytes { JavaPropertyMap(parsing: $0) }
    }

    public subscript(key: String) -> String? {
        get { entries.first { $0.key == key }?.value }
        set {
            if let index = entries.firstIndex(where: { $0.key == key }) {
                if let newValue { entries[index].value = newValue } else { entries.remove(at: index) }
            } else if let newValue {
                entries.append((key, newValue))
                while entries.count * 4 > capacity * 3 { capacity *= 2 }
            }
        }
    }

    public var count: Int { entries.count }

    /// The entries in Java HashMap iteration order.
    public var iterationOrder: [(key: String, value: String)] {
        let mask = Int32(truncatingIfNeeded: capacity - 1)
        func bucket(_ key: String) -> Int32 {
            let h = JavaString.hashCode(key)
            return (h ^ Int32(bitPattern: UInt32(bitPattern: h) >> 16)) & mask
        }
        return entries.enumerated()
            .map { (bucket: bucket($0.element.key), order: $0.offset, entry: $0.element) }
            .sorted { ($0.bucket, $0.order) < ($1.bucket, $1.order) }
            .map(\.entry)
    }

    /// `messageProperties2String` as 4.9.8 writes it (no trailing separator).
    public func serialized(trailingSeparator: Bool = false) -> [UInt8] {
        MessageProperties.encode(iterationOrder, trailingSeparator: trailingSeparator)
    }

    public static func == (lhs: JavaPropertyMap, rhs: JavaPropertyMap) -> Bool {
        lhs.capacity == rhs.capacity && lhs.entries.elementsEqual(rhs.entries) { $0 == $1 }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(capacity)
        for (key, value) in entries {
            hasher.combine(key)
            hasher.combine(value)
        }
    }
}
