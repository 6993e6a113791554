// Equality of two byte ranges with memcmp: `elementsEqual` on raw buffers is a generic
// element-by-element loop, measurable when a queue lookup compares a topic per record.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

public enum ByteComparison {
    @inlinable
    public static func equal(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        guard a.count > 0, let x = a.baseAddress, let y = b.baseAddress else { return true }
        return memcmp(x, y, a.count) == 0
    }

    /// `bytes` against an array's contents.
    @inlinable
    public static func equal(_ array: [UInt8], _ bytes: UnsafeRawBufferPointer) -> Bool {
        array.withUnsafeBytes { equal($0, bytes) }
    }
}
