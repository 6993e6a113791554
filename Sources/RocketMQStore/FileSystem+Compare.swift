// Comparing two files without reading either into memory whole.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension FileSystem {
    /// True when the files at `a` and `b` hold the same bytes (same size, then 1 MiB at a
    /// time). Repairs diff a staged copy against the store this way and read a file whole only
    /// when it differs: most of a store's consume queue files are left as they were.
    public static func contentsEqual(_ a: String, _ b: String) throws(StoreError) -> Bool {
        let fdA = try openForReading(a)
        defer { close(fdA) }
        let fdB = try openForReading(b)
        defer { close(fdB) }
        var statA = stat(), statB = stat()
        guard fstat(fdA, &statA) == 0, fstat(fdB, &statB) == 0 else {
            let code = errno
            throw StoreError(.io, path: a, "cannot stat: \(errorText(code))", errno: code)
        }
        guard statA.st_size == statB.st_size else { return false }
        let chunk = 1 << 20
        let bufferA = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 4096)
        defer { bufferA.deallocate() }
        let bufferB = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 4096)
        defer { bufferB.deallocate() }
        var offset: Int64 = 0
        while offset < Int64(statA.st_size) {
            let wanted = Int(min(Int64(chunk), Int64(statA.st_size) - offset))
            let readA = try readFully(fdA, path: a, into: bufferA, count: wanted, at: offset)
            let readB = try readFully(fdB, path: b, into: bufferB, count: wanted, at: offset)
            guard readA == readB, memcmp(bufferA.baseAddress!, bufferB.baseAddress!, readA) == 0 else { return false }
            if readA < wanted { return true }  // both shrank alike under us: equal so far
            offset += Int64(readA)
        }
        return true
    }
}
