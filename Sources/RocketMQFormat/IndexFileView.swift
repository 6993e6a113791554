// A read-only view over the bytes of one IndexFile, and the key lookup of FORMAT.md §8.6.
//
// The view does not copy: it wraps the caller's buffer (typically an mmap), so it is not
// Sendable and must not outlive the buffer. Every read is bounds-checked; a corrupt slot or
// chain ends the walk the way Java's exception handler does, keeping what was collected.

public struct IndexFileView {
    /// The whole file.
    public let bytes: UnsafeRawBufferPointer
    public let layout: IndexFileLayout
    /// The header as decoded when the view was made.
    public let header: IndexHeader

    /// Fails when the buffer is not exactly `layout.fileSize` bytes.
    public init(bytes: UnsafeRawBufferPointer, layout: IndexFileLayout) throws(FormatError) {
        try layout.validate(fileSize: bytes.count)
        self.bytes = bytes
        self.layout = layout
        self.header = try IndexHeader(decoding: bytes)
    }

    /// The value of slot `slot`: the newest entry of its chain, 0 for empty. Nil out of range.
    public func slotValue(_ slot: Int) -> Int32? {
        guard slot >= 0, slot < layout.hashSlotNum else { return nil }
        return bytes.readBigEndian(at: layout.slotPosition(slot))
    }

    /// Entry number `index` (0 ..< N; entry 0 is never used). Nil out of range.
    public func entry(_ index: Int) -> IndexEntry? {
        guard index >= 0, index < layout.indexNum else { return nil }
        return try? IndexEntry(decoding: bytes, at: layout.entryPosition(index))
    }

    /// The entries in use, 1 ..< effectiveIndexCount (clamped to the file).
    public var entries: [(index: Int, entry: IndexEntry)] {
        let upper = Swift.min(Int(header.effectiveIndexCount), layout.indexNum)
        guard upper > 1 else { return [] }
        return (1..<upper).compactMap { index in entry(index).map { (index, $0) } }
    }

    /// The non-empty slots in slot order.
    public var nonEmptySlots: [(slot: Int, value: Int32)] {
        (0..<layout.hashSlotNum).compactMap { slot in
            guard let value = slotValue(slot), value != 0 else { return nil }
            return (slot, value)
        }
    }

    /// `IndexFile.selectPhyOffset`: walks the chain of `keyHash`'s slot and appends matching
    /// offsets (newest entry first) to `phyOffsets` until it holds `maxNum`.
    public func selectPhyOffsets(
        into phyOffsets: inout [Int64], keyHash: Int32, maxNum: Int, begin: Int64, end: Int64
    ) {
        // Java would compute a negative slot and throw; nothing is collected.
        guard keyHash >= 0, let slotValue = slotValue(layout.slot(forKeyHash: keyHash)) else { return }
        let indexCount = header.effectiveIndexCount
        if slotValue <= 0 || slotValue > indexCount || indexCount <= 1 { return }
        var nextIndexToRead = slotValue
        // A sound chain visits each entry at most once. Java loops forever on a corrupt cycle
        // (it only catches self-links); bounding the steps keeps hostile files harmless.
        var steps = 0
        while steps < layout.indexNum {
            steps += 1
            if phyOffsets.count >= maxNum { break }
            // Out of the file: Java's getInt throws and the walk ends.
            guard let entry = entry(Int(nextIndexToRead)) else { break }
            if entry.timeDiff < 0 { break }
            let timeRead = entry.timestamp(beginTimestamp: header.beginTimestamp)
            let timeMatched = timeRead >= begin && timeRead <= end
            if keyHash == entry.keyHash && timeMatched {
                phyOffsets.append(entry.phyOffset)
            }
            let prevIndexRead = entry.prevIndex
            if prevIndexRead <= 0 || prevIndexRead > indexCount || prevIndexRead == nextIndexToRead
                || timeRead < begin {
                break
            }
            nextIndexToRead = prevIndexRead
        }
    }

    /// The per-file step of `IndexService.queryOffset`: the offsets this file contributes, in
    /// Java's order, given how many earlier (newer) files already found, and whether the service
    /// goes on to the next older file.
    public func queryOffsets(
        keyHash: Int32, begin: Int64, end: Int64, maxNum: Int, alreadyFound: Int = 0
    ) -> (offsets: [Int64], continueToOlderFiles: Bool) {
        var found: [Int64] = []
        let remaining = maxNum - alreadyFound
        if header.isTimeMatched(begin: begin, end: end) {
            selectPhyOffsets(into: &found, keyHash: keyHash, maxNum: remaining, begin: begin, end: end)
        }
        let stop = header.beginTimestamp < begin || found.count >= remaining
        return (found, !stop)
    }

    /// `IndexService.queryOffset` over a store's index files given in name order (oldest first,
    /// as the service keeps them); the newest file is searched first. `maxNum` is capped at
    /// `maxMsgsNumBatch` (default 64) as the service does.
    public static func queryOffsets(
        in files: [IndexFileView], keyHash: Int32, begin: Int64, end: Int64, maxNum: Int,
        maxMsgsNumBatch: Int = 64
    ) -> [Int64] {
        let limit = Swift.min(maxNum, maxMsgsNumBatch)
        var phyOffsets: [Int64] = []
        for file in files.reversed() {
            if file.header.isTimeMatched(begin: begin, end: end) {
                file.selectPhyOffsets(into: &phyOffsets, keyHash: keyHash, maxNum: limit, begin: begin, end: end)
            }
            if file.header.beginTimestamp < begin || phyOffsets.count >= limit { break }
        }
        return phyOffsets
    }
}
