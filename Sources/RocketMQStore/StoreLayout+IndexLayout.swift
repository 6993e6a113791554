// The index geometry (maxHashSlotNum, maxIndexNum) an existing store was written with, read
// from its index files without changing them. Shared by the engine (reopening a store) and
// the read-only StoreReader.

import RocketMQFormat

extension StoreLayout {
    /// The layout of the index files: `configured` when its file size matches; else, with more
    /// than one file, from the first (full, so its indexCount is maxIndexNum) file's header;
    /// else the N = 4·H heuristic on the file size. nil when there is no index file.
    public func indexFileLayout(configured: IndexFileLayout?) throws(StoreError) -> IndexFileLayout? {
        guard let first = indexFiles.first else { return nil }
        let size = Int(first.size)
        if let configured, configured.fileSize == size { return configured }
        var inferred: IndexFileLayout?
        if indexFiles.count > 1, let header = try? FileSystem.read(first.path, offset: 0, count: IndexHeader.size),
           let decoded = header.withUnsafeBytes({ try? IndexHeader(decoding: $0) }) {
            let entries = Int(decoded.indexCount)
            let rest = size - IndexHeader.size - IndexFileLayout.entrySize * entries
            if entries > 0, rest > 0, rest % IndexFileLayout.slotSize == 0 {
                inferred = IndexFileLayout(hashSlotNum: rest / IndexFileLayout.slotSize, indexNum: entries)
            }
        }
        guard let layout = inferred ?? IndexFileLayout.infer(fileSize: size) else {
            throw StoreError(.usage, path: first.relativePath,
                             "index file is \(size) bytes: cannot tell maxHashSlotNum/maxIndexNum; pass --index-slots and --index-entries")
        }
        return layout
    }
}
