// `ContentDigest.of` of an index file built with buffered writes (`IndexFile.bufferWrites`),
// taken from its header and slot table in memory and its entries read back from the file.
//
// A rebuild's new index must be hashed for the journal. Hashing the file once it is whole waits
// for its 20 MB of slots to be written first and reads them back; this hashes them from memory
// on one thread while another writes them, so that write leaves the critical path.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

public struct IndexFileDigest: @unchecked Sendable {
    // The file's bytes: `head` at 0 (the buffered header and slots, read-only until the file is
    // unmapped), then [entriesStart, entriesEnd) in the file (written), then zeros up to
    // `fileSize` (a file created fresh, written nowhere else).
    let path: String
    let head: UnsafeRawBufferPointer
    let entriesEnd: Int
    let fileSize: Int

    /// The digest `ContentDigest.of(path)` gives once the header and slots are written. Streamed
    /// (`StreamedFileDigest` finds where the data ends as it goes): the entries, just written,
    /// are read once, with no SEEK_DATA walk over their not yet allocated pages.
    public func compute() throws(StoreError) -> String {
        let fd = try FileSystem.openForReading(path)
        defer { close(fd) }
        var digest = StreamedFileDigest()
        digest.update(head)
        try ContentDigest.read(fd, Int64(head.count)..<Int64(max(entriesEnd, head.count)), path: path) { digest.update($0) }
        digest.skipZeros(Int64(fileSize - max(entriesEnd, head.count)))
        return digest.finalize(size: Int64(fileSize))
    }

    /// `ContentDigest.tree(directory)`, with the files of `digests` (path → digest, from
    /// `IndexWriter.bufferedDigests`) hashed this way and any other file read.
    public static func tree(_ directory: String, with digests: [String: IndexFileDigest]) throws(StoreError) -> String {
        var known: [String: String] = [:]
        for (path, digest) in digests { known[path] = try digest.compute() }
        return try ContentDigest.tree(directory) { (path) throws(StoreError) in
            if let digest = known[path] { return digest }
            return try ContentDigest.of(path) ?? "-"
        }
    }
}
