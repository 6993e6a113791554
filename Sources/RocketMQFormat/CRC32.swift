// CRC-32 as RocketMQ stores it: `java.util.zip.CRC32` (= zlib's crc32) masked with 0x7FFFFFFF.
//
// zlib is always linked. When ISA-L (Debian libisal2) can be loaded at run time its
// `crc32_gzip_refl` computes the same CRC roughly ten times faster, and is used instead.

import CZlib

public enum CRC32 {
    public enum Implementation: String, Sendable { case zlib, isal }

    private typealias ISALFunction = @convention(c) (UInt32, UnsafePointer<UInt8>?, UInt64) -> UInt32

    private static let isal: ISALFunction? = {
        guard let library = DynamicLibrary(anyOf: ["libisal.so.2", "libisal.so"]) else { return nil }
        return library.function("crc32_gzip_refl", as: ISALFunction.self)
    }()

    /// Which implementation `checksum` uses on this machine.
    public static var implementation: Implementation { isal == nil ? .zlib : .isal }

    /// True when ISA-L was found and is used.
    public static var isISALAvailable: Bool { isal != nil }

    /// The full 32-bit CRC of `bytes` (not masked).
    @inlinable
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        checksum(bytes, using: implementation)
    }

    /// The full 32-bit CRC with a chosen implementation (tests compare them).
    public static func checksum(_ bytes: UnsafeRawBufferPointer, using implementation: Implementation) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return 0 }
        let pointer = base.assumingMemoryBound(to: UInt8.self)
        if implementation == .isal, let isal {
            return isal(0, pointer, UInt64(bytes.count))
        }
        // zlib takes a 32-bit length: feed large buffers in chunks.
        var crc: UInt = 0
        var offset = 0
        while offset < bytes.count {
            let chunk = min(bytes.count - offset, 1 << 30)
            crc = CZlib.crc32(crc, pointer + offset, uInt(chunk))
            offset += chunk
        }
        return UInt32(truncatingIfNeeded: crc)
    }

    /// `UtilAll.crc32`: the CRC as RocketMQ stores it (bit 31 cleared); 0 for an empty body.
    @inlinable
    public static func rocketMQ(_ bytes: UnsafeRawBufferPointer) -> Int32 {
        Int32(bitPattern: checksum(bytes) & 0x7FFF_FFFF)
    }

    public static func rocketMQ(_ bytes: [UInt8]) -> Int32 {
        bytes.withUnsafeBytes { rocketMQ($0) }
    }
}
