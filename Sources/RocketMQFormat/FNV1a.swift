// 64-bit FNV-1a: the cheap byte hash behind the in-memory (topic, queueId) tables of the engine,
// recover and verify, and behind replay's record fingerprints. Never written to disk.

public struct FNV1a: Sendable {
    public static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    public static let prime: UInt64 = 0x0000_0100_0000_01b3

    public var value: UInt64 = FNV1a.offsetBasis

    @inlinable
    public init() {}

    @inlinable
    public mutating func combine(_ bytes: UnsafeRawBufferPointer) {
        for byte in bytes { value = (value ^ UInt64(byte)) &* FNV1a.prime }
    }

    /// Folds in a 32-bit value as one step (how the tables add the queue id).
    @inlinable
    public mutating func combine(word: UInt32) {
        value = (value ^ UInt64(word)) &* FNV1a.prime
    }

    /// The hash of a topic's bytes followed by its queue id.
    @inlinable
    public static func topicQueue(_ topic: UnsafeRawBufferPointer, _ queueId: Int32) -> UInt64 {
        var hasher = FNV1a()
        hasher.combine(topic)
        hasher.combine(word: UInt32(bitPattern: queueId))
        return hasher.value
    }
}
