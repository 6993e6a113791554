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
        if let known = knownIndexLayout, known.fileSize == size { return known }
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

    /// The geometry given by the options (`--index-slots`/`--index-entries`, or confirmed by the
    /// entries at discovery), nil when neither is known.
    public var knownIndexLayout: IndexFileLayout? {
        guard let slots = options.maxHashSlotNum, let entries = options.maxIndexNum else { return nil }
        return IndexFileLayout(hashSlotNum: slots, indexNum: entries)
    }

    /// The geometry to read `file` with: the known one, else the N = 4·H rule on its size.
    public func indexLayout(of file: SegmentFile) -> IndexFileLayout? {
        knownIndexLayout ?? IndexFileLayout.infer(fileSize: Int(file.size))
    }

    /// The geometry the entries of the index files confirm. Files of the most common size are
    /// asked (a few at most: one with two or more entries settles it), so one resized file
    /// cannot impose its size on the others.
    static func confirmedIndexGeometry(_ files: [SegmentFile]) -> IndexFileLayout? {
        var filesBySize: [Int64: Int] = [:]
        for file in files where file.size > Int64(IndexHeader.size) { filesBySize[file.size, default: 0] += 1 }
        guard let size = filesBySize.max(by: { ($0.value, $0.key) < ($1.value, $1.key) })?.key else { return nil }
        for file in files.filter({ $0.size == size }).prefix(3) {
            guard let region = try? MappedRegion(path: file.path, sequential: false) else { continue }
            if let geometry = region.withBytes({ IndexFileLayout.confirmed(byContents: $0) }) { return geometry }
        }
        return nil
    }
}
