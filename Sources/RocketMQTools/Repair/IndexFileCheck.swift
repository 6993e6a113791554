// One pass over an index file for recover, run beside its log scan: putKey's rules (FORMAT.md
// §8.3: the hash chains, entries in offset order inside the header's range, the header naming
// its first and last entries) and, when they hold, the content digest of the entries inside the
// header's range that `DerivedConsistency.indexContentProblem` compares with the log's.
//
// The two used to be separate passes, the second after the scan, on one core. Fused, the digest
// costs a few multiplies per entry whose line the chain check has just read. It needs the end of
// the log only to leave out the entries at or past it; entries are in offset order once the
// rules hold, so those are the last ones, taken back off afterwards (`digest(endOffset:)`).

import CMemoryHints
import RocketMQFormat

struct IndexFileCheck {
    /// What breaks putKey's rules; nil when the file keeps them.
    let problem: String?
    /// With no problem: the entries whose physical offset lies in [low, header.endPhyOffset).
    let digest: IndexDigest
    let low: Int64

    /// Entries read per round: their slots are computed and their `last` lines requested first,
    /// so the random reads of `last` (4 bytes per slot, 20 MB for 5M slots) overlap.
    private static let round = 32

    /// `count`: the header's effective count (1 + entries), 2 ... indexNum.
    init(_ view: IndexFileView, count: Int, low: Int64) {
        self.low = low
        var digest = IndexDigest()
        let problem = Self.check(view, count: count, low: low, digest: &digest)
        self.problem = problem
        self.digest = problem == nil ? digest : IndexDigest()
    }

    private static func check(_ view: IndexFileView, count: Int, low: Int64, digest: inout IndexDigest) -> String? {
        let layout = view.layout
        let bytes = view.bytes
        let header = view.header
        let high = header.endPhyOffset
        var last = [Int32](repeating: 0, count: layout.hashSlotNum)
        var slots = [Int](repeating: 0, count: round)
        var orderProblem: String?
        var previousPhysical = Int64.min
        var k = 1
        while k < count {
            var n = min(round, count - k)
            var negative: Int?  // an entry with a negative hash ends the round, and the check
            var position = layout.entryPosition(k)
            for j in 0..<n {
                let keyHash: Int32 = bytes.readBigEndianUnchecked(at: position)
                guard keyHash >= 0 else {
                    negative = k + j
                    n = j
                    break
                }
                let slot = layout.slot(forKeyHash: keyHash)
                slots[j] = slot
                last.withUnsafeBufferPointer { rmq_prefetch_read($0.baseAddress! + slot) }
                position += IndexFileLayout.entrySize
            }
            position = layout.entryPosition(k)
            for j in 0..<n {
                let entry = k + j
                let keyHash: Int32 = bytes.readBigEndianUnchecked(at: position)
                let physical: Int64 = bytes.readBigEndianUnchecked(at: position + 4)
                let timeDiff: Int32 = bytes.readBigEndianUnchecked(at: position + 12)
                let previous: Int32 = bytes.readBigEndianUnchecked(at: position + 16)
                position += IndexFileLayout.entrySize
                let slot = slots[j]
                guard previous == last[slot] else { return "entry \(entry)'s prevIndex \(previous) is not the previous entry of its slot (\(last[slot]))" }
                last[slot] = Int32(entry)
                if orderProblem == nil {
                    if physical < previousPhysical { orderProblem = "entry \(entry) points before the previous entry" }
                    else if physical < header.beginPhyOffset || physical > header.endPhyOffset { orderProblem = "entry \(entry) points outside the header's range" }
                }
                previousPhysical = physical
                if physical >= low && physical < high {
                    digest.sum &+= UnitDigest.entry(physicalOffset: physical, keyHash: keyHash, timeDiff: timeDiff)
                    digest.count += 1
                }
            }
            // (After the entries before it: the first problem in entry order is the one told.)
            if let negative { return "entry \(negative) has a negative key hash" }
            k += n
        }
        var position = layout.slotPosition(0)
        for slot in 0..<layout.hashSlotNum {
            let value: Int32 = bytes.readBigEndianUnchecked(at: position)
            position += IndexFileLayout.slotSize
            if value != last[slot] { return "hash slot \(slot) names entry \(value), not its slot's last entry \(last[slot])" }
        }
        if let orderProblem { return orderProblem }
        guard let first = view.entry(1), let lastEntry = view.entry(count - 1) else { return "entries unreadable" }
        if first.phyOffset != header.beginPhyOffset || lastEntry.phyOffset != header.endPhyOffset {
            return "the header's beginPhyOffset/endPhyOffset are not its first and last entries'"
        }
        return nil
    }

    /// The entries whose physical offset lies in [low, min(header.endPhyOffset, endOffset)):
    /// `digest` less the last entries, those at or past `endOffset`. Only for a file without a
    /// problem (its entries in offset order).
    func digest(_ view: IndexFileView, count: Int, endOffset: Int64) -> IndexDigest {
        let high = view.header.endPhyOffset
        let cut = max(low, min(high, endOffset))
        var result = digest
        var k = count - 1
        while k >= 1 {
            let position = view.layout.entryPosition(k)
            let physical: Int64 = view.bytes.readBigEndianUnchecked(at: position + 4)
            guard physical >= cut else { break }
            if physical < high {
                let keyHash: Int32 = view.bytes.readBigEndianUnchecked(at: position)
                let timeDiff: Int32 = view.bytes.readBigEndianUnchecked(at: position + 12)
                result.sum &-= UnitDigest.entry(physicalOffset: physical, keyHash: keyHash, timeDiff: timeDiff)
                result.count -= 1
            }
            k -= 1
        }
        return result
    }
}
