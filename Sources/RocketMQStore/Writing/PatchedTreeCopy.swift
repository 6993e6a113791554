// Copies the files of a directory into a new one, changing a few byte ranges on the way, and
// gives the digests a journal needs for exchanging the two (`StoreChange.treeDigests`): the old
// tree's and the new one's, as `ContentDigest.tree` computes them, from the one read the copy
// makes of each byte.
//
// recover cuts the index's last entries this way: a 400 MB index file whose data is ~80 MB is
// copied aside, its header, a few slots and the cut entries changed, and the two trees hashed.
// Done as copy, then change, then hash each tree, the data went through memory four times on
// one core; here each chunk is read once, hashed as it was, patched, hashed as it is now, and
// written on a second thread (`WriteBehind`). Holes stay holes.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import RocketMQFormat

public enum PatchedTreeCopy {
    /// Bytes to put at `offset` of a file: `bytes`, or `count` zeros.
    public struct Patch: Sendable, Equatable {
        public var offset: Int64
        public var count: Int
        public var bytes: [UInt8]?

        public init(offset: Int64, bytes: [UInt8]) {
            self.offset = offset
            count = bytes.count
            self.bytes = bytes
        }

        public init(zeros count: Int, at offset: Int64) {
            self.offset = offset
            self.count = count
            bytes = nil
        }

        var range: Range<Int64> { offset..<offset + Int64(count) }

        /// Writes the part of the patch inside [start, start + chunk.count) into `chunk`.
        public func apply(to chunk: UnsafeMutableRawBufferPointer, at start: Int64) {
            let low = max(offset, start), high = min(offset + Int64(count), start + Int64(chunk.count))
            guard low < high else { return }
            let target = UnsafeMutableRawBufferPointer(rebasing: chunk[Int(low - start)..<Int(high - start)])
            if let bytes {
                bytes.withUnsafeBytes { target.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[Int(low - offset)..<Int(high - offset)])) }
            } else {
                target.initializeMemory(as: UInt8.self, repeating: 0)
            }
        }
    }

    /// Copies the regular files `names` of `source` into `destination` (a new directory, made
    /// here), each the same length with its holes kept and `patches[name]` applied, every copy
    /// fsynced. Returns the source tree's digest (stamped before it was read; anything else the
    /// source holds is hashed as `ContentDigest.tree` does, and a later change shows) and the
    /// destination's.
    public static func copy(_ names: [String], from source: String, to destination: String,
                            patches: [String: [Patch]] = [:]) throws(StoreError) -> (before: TreeDigest, after: String) {
        try DurableFile.makeDirectories(destination)
        let writer = WriteBehind()
        var outputs: [(fd: Int32, path: String)] = []
        defer { for output in outputs { close(output.fd) } }
        // On an error too, the writer is done with every descriptor before they are closed.
        defer { try? writer.finish() }
        var afterDigests: [String: () -> String] = [:]  // destination path → digest, once written
        let before = try TreeDigest(of: source) { () throws(StoreError) -> String? in
            var beforeDigests: [String: String] = [:]  // source path → digest
            for name in names {
                let output = try DurableFile.open(destination + "/" + name, O_WRONLY | O_CREAT | O_TRUNC)
                outputs.append((output, destination + "/" + name))
                let digests = try copyFile(source + "/" + name, to: output, path: destination + "/" + name,
                                           patches: patches[name] ?? [], writer: writer)
                beforeDigests[source + "/" + name] = digests.before
                afterDigests[destination + "/" + name] = digests.after
            }
            try writer.finish()
            return try ContentDigest.tree(source) { (path) throws(StoreError) -> String in
                if let known = beforeDigests[path] { return known }
                return try ContentDigest.of(path) ?? "-"  // not copied: hashed here
            }
        }
        for output in outputs { try DurableFile.sync(output.fd, path: output.path) }
        try DurableFile.syncDirectory(destination)
        let after = try ContentDigest.tree(destination) { (path) throws(StoreError) -> String in
            if let known = afterDigests[path] { return known() }
            return try ContentDigest.of(path) ?? "-"
        }
        return (before, after)
    }

    /// The new bytes' digest, updated on the writer's thread only (read after `finish`).
    private final class AfterDigest: @unchecked Sendable {
        var digest = StreamedFileDigest()
    }

    /// One file: its data extents and the patches' ranges, chunk by chunk, read (a hole reads
    /// as zeros) and hashed, then handed to `writer`, which (only for a patched file) patches
    /// and hashes the chunk again before writing it. The new digest is ready after `finish`.
    private static func copyFile(_ path: String, to output: Int32, path outputPath: String, patches: [Patch],
                                 writer: WriteBehind) throws(StoreError) -> (before: String, after: () -> String) {
        let input = try DurableFile.open(path, O_RDONLY)
        defer { close(input) }
        var st = stat()
        guard fstat(input, &st) == 0 else { throw DurableFile.fail(path, "cannot stat") }
        let size = Int64(st.st_size)
        guard ftruncate(output, off_t(size)) == 0 else { throw DurableFile.fail(outputPath, "cannot set length \(size)") }
        for patch in patches where patch.offset < 0 || patch.range.upperBound > size {
            throw StoreError(.io, path: outputPath, offset: patch.offset, "a change of \(patch.count) bytes lies outside the file's \(size)")
        }
        var ranges = ContentDigest.dataExtents(input, from: 0, to: size) + patches.map(\.range)
        ranges.sort { $0.lowerBound < $1.lowerBound }
        var merged: [Range<Int64>] = []
        for range in ranges where !range.isEmpty {
            if let last = merged.last, range.lowerBound <= last.upperBound {
                merged[merged.count - 1] = last.lowerBound..<max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        var before = StreamedFileDigest()
        // The new bytes are patched and hashed on the writer's thread, just before it writes them.
        let after = patches.isEmpty ? nil : AfterDigest()
        var position: Int64 = 0
        for range in merged {
            before.skipZeros(range.lowerBound - position)
            let hole = range.lowerBound - position
            if let after { writer.submit(count: 0, to: output, at: position, path: outputPath) { _ in after.digest.skipZeros(hole) } }
            position = range.lowerBound
            while position < range.upperBound {
                let buffer = writer.buffer()
                let count = Int(min(Int64(buffer.count), range.upperBound - position))
                let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count])
                let got = try FileSystem.readFully(input, path: path, into: chunk, count: count, at: position)
                guard got == count else { throw StoreError(.io, path: path, offset: position + Int64(got), "file ended while being copied (expected \(count) more bytes)") }
                before.update(UnsafeRawBufferPointer(chunk))
                if let after {
                    let start = position
                    let touching = patches.filter { $0.range.overlaps(start..<start + Int64(count)) }
                    writer.submit(count: count, to: output, at: position, path: outputPath) { chunk in
                        for patch in touching { patch.apply(to: chunk, at: start) }
                        after.digest.update(UnsafeRawBufferPointer(chunk))
                    }
                } else {
                    writer.submit(count: count, to: output, at: position, path: outputPath)
                }
                position += Int64(count)
            }
        }
        // (Bytes past the last range are zeros: `finalize` counts them.)
        let old = before.finalize(size: size)
        guard let after else { return (old, { old }) }
        return (old, { after.digest.finalize(size: size) })
    }
}
