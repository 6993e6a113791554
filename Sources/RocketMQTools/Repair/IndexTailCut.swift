// Cutting the index entries that point at or past the new end of the log: the exact reverse of
// `IndexFile.putKey` (FORMAT.md §8.3), as a few byte changes (the header, some slots, the cut
// entries zeroed) that recover applies while it copies the index (`PatchedTreeCopy`), instead
// of rebuilding the whole index from the log (a million-record walk) when only the last few
// entries are wrong.
//
// Entries are appended in log order (buildIndex skips offsets below endPhyOffset), so the ones
// past the end are the last ones written, and each, popped from the end, is the head of its
// slot's chain: the slot gets back the entry's prevIndex (the value putKey found there), and
// hashSlotCount drops when that was 0. The header's end values become those of the new last
// entry, its store time read from the log (the entry only keeps seconds). Anything that does
// not fit these rules (a popped entry that is not its slot's head, a file emptied, an earlier
// file past the end) answers nil, and the caller rebuilds the index instead.

import RocketMQFormat
import RocketMQStore

enum IndexTailCut {
    /// The changes that cut the file `bytes` back to entries below `endOffset`, in file order
    /// (the header, slots, the cut entries zeroed): nil when the file does not follow the rules
    /// above, empty when no entry lies past the end.
    static func patches(_ readable: UnsafeRawBufferPointer, layout: IndexFileLayout, endOffset: Int64,
                        storeTimestamp: (Int64) -> Int64?) -> [PatchedTreeCopy.Patch]? {
        guard var header = try? IndexHeader(decoding: readable) else { return nil }
        let count = Int(header.effectiveIndexCount)  // 1 + entries
        guard count <= layout.indexNum, readable.count == layout.fileSize else { return nil }
        // Check first, change after: every popped entry must be its slot's head.
        var slots: [Int: Int32] = [:]  // slot position → value after the cut
        var emptied = 0
        var i = count - 1
        while i >= 1 {
            guard let entry = try? IndexEntry(decoding: readable, at: layout.entryPosition(i)) else { return nil }
            guard entry.phyOffset >= endOffset else { break }
            guard entry.keyHash >= 0, entry.prevIndex >= 0, entry.prevIndex < Int32(i) else { return nil }
            let position = layout.slotPosition(layout.slot(forKeyHash: entry.keyHash))
            let head = slots[position] ?? readable.readBigEndianUnchecked(at: position)
            guard head == Int32(i) else { return nil }
            slots[position] = entry.prevIndex
            if entry.prevIndex == 0 { emptied += 1 }
            i -= 1
        }
        let remaining = i  // the new last entry (0: none left)
        guard remaining < count - 1 else { return [] }  // nothing past the end
        guard remaining >= 1, let last = try? IndexEntry(decoding: readable, at: layout.entryPosition(remaining)),
              let timestamp = storeTimestamp(last.phyOffset) else { return nil }
        header.indexCount = Int32(remaining + 1)
        header.hashSlotCount -= Int32(emptied)
        header.endPhyOffset = last.phyOffset
        header.endTimestamp = timestamp
        var patches = [PatchedTreeCopy.Patch(offset: 0, bytes: header.encoded())]
        for (position, value) in slots.sorted(by: { $0.key < $1.key }) {
            patches.append(PatchedTreeCopy.Patch(offset: Int64(position), bytes: withUnsafeBytes(of: value.bigEndian) { Array($0) }))
        }
        let from = layout.entryPosition(remaining + 1), to = layout.entryPosition(count)
        patches.append(PatchedTreeCopy.Patch(zeros: to - from, at: Int64(from)))
        return patches
    }
}
