// Optional shared libraries, loaded at run time.
//
// ISA-L (fast CRC-32), liblz4, libzstd and libcrypto (SHA-256) speed things up or decode more
// bodies when the machine has them, but the build never needs them: a missing library just
// means the portable path is used (or, for LZ4/ZSTD bodies, that they are reported undecoded).

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

public struct DynamicLibrary: @unchecked Sendable {
    // dlopen handles are process-wide and never closed, so sharing the raw pointer is safe.
    private let handle: UnsafeMutableRawPointer
    public let name: String

    /// Opens the first of `names` that loads, or returns nil.
    public init?(anyOf names: [String]) {
        for name in names {
            if let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) {
                self.handle = handle
                self.name = name
                return
            }
        }
        return nil
    }

    /// The address of `symbol` cast to the C function type `T`, or nil when it is not exported.
    public func function<T>(_ symbol: String, as type: T.Type) -> T? {
        guard let pointer = dlsym(handle, symbol) else { return nil }
        return unsafeBitCast(pointer, to: type)
    }
}
