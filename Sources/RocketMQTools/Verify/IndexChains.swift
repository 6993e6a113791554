// Index hash chains (FORMAT.md §8.3, §18 items 18–19): replayed in entry order as putKey
// builds them, or, for slot tables too large to mirror in memory, walked slot by slot.

import RocketMQFormat
import RocketMQStore

extension IndexVerifier {
    /// §8.3 replayed: putKey links entry k to the last earlier entry of its slot (keyHash mod H)
    /// and leaves each slot naming the last entry of the slot. Checking exactly that, in entry
    /// order, proves every chain in range, acyclic, in its own slot and every entry reachable
    /// once, with sequential reads only (a chain walk reads the entries in random order).
    func replayChains(_ view: IndexFileView, count: Int, path: String, into collector: FindingCollector) {
        let slotsCount = view.layout.hashSlotNum
        let bytes = view.bytes
        var last = [Int32](repeating: 0, count: slotsCount)
        var badLinks = 0, firstBadLink = 0
        var position = view.layout.entryPosition(1)
        for k in 1..<count {
            let keyHash: Int32 = bytes.readBigEndianUnchecked(at: position)
            let previous: Int32 = bytes.readBigEndianUnchecked(at: position + 16)
            defer { position += IndexFileLayout.entrySize }
            guard keyHash >= 0 else { continue }  // reported with the entries (index.bad-hash)
            let slot = Int(keyHash) % slotsCount
            let expected = last[slot]
            last[slot] = Int32(k)
            guard previous != expected else { continue }
            if badLinks == 0 { firstBadLink = k }
            badLinks += 1
            if badLinks <= Self.detailedLimit {
                collector.add(Finding(
                    .repairable, "index.bad-chain", file: path, position: Int64(position + 16), expected: String(expected),
                    found: String(previous),
                    "entry \(k)'s prevIndex is not the previous entry of its hash slot \(slot) (putKey links each entry to the slot's last one)"))
            }
        }
        if badLinks > Self.detailedLimit {
            collector.add(Finding(.repairable, "index.bad-chain", file: path, position: Int64(view.layout.entryPosition(firstBadLink) + 16),
                                  "\(badLinks) entries in all have a wrong prevIndex (first \(Self.detailedLimit) listed)"))
        }
        var badSlots = 0, nonEmpty = 0
        for slot in 0..<slotsCount {
            let slotPosition = view.layout.slotPosition(slot)
            let value: Int32 = bytes.readBigEndianUnchecked(at: slotPosition)
            if value != 0 { nonEmpty += 1 }
            guard value != last[slot] else { continue }
            badSlots += 1
            guard badSlots <= Self.detailedLimit else { continue }
            let outside = value < 0 || Int(value) >= count
            collector.add(Finding(
                .repairable, outside ? "index.slot-out-of-range" : "index.slot-mismatch", file: path, position: Int64(slotPosition),
                expected: String(last[slot]), found: String(value),
                "hash slot \(slot) does not name the last entry with that slot"))
        }
        if badSlots > Self.detailedLimit {
            collector.add(Finding(.repairable, "index.slot-mismatch", file: path, position: Int64(view.layout.slotPosition(0)),
                                  "\(badSlots) hash slots in all do not name the last entry of their slot (first \(Self.detailedLimit) listed)"))
        }
        let header = view.header
        if nonEmpty != Int(header.hashSlotCount) {
            collector.add(Finding(.info, "index.slot-count", file: path, position: 32, expected: String(nonEmpty),
                                  found: String(header.hashSlotCount), "hashSlotCount differs from the number of non-empty slots"))
        }
    }

    /// Findings of one kind listed one by one per file before a single summary finding.
    static let detailedLimit = 100

    /// The chains walked from each slot: in range, decreasing (hence acyclic), in their own slot,
    /// no entry reached twice. Returns the entries reached.
    func walkChains(_ view: IndexFileView, count: Int, path: String, into collector: FindingCollector) -> [UInt64] {
        let slotsCount = view.layout.hashSlotNum
        var reached = [UInt64](repeating: 0, count: count / 64 + 1)
        var chains = 0
        for slot in 0..<slotsCount {
            let value = Int(view.bytes.readBigEndianUnchecked(Int32.self, at: view.layout.slotPosition(slot)))
            if value == 0 { continue }
            let slotPosition = Int64(view.layout.slotPosition(slot))
            guard value > 0, value < count else {
                collector.add(Finding(.repairable, "index.slot-out-of-range", file: path, position: slotPosition,
                                      expected: "0...\(count - 1)", found: String(value), "hash slot \(slot) points outside the entries"))
                continue
            }
            chains += 1
            var k = value
            while k != 0 {
                let entryPosition = Int64(view.layout.entryPosition(k))
                if reached[k >> 6] & (1 << UInt64(k & 63)) != 0 {
                    collector.add(Finding(.repairable, "index.chain-merge", file: path, position: entryPosition,
                                          "entry \(k) is reached from two chains (slot \(slot))"))
                    break
                }
                reached[k >> 6] |= 1 << UInt64(k & 63)
                guard let entry = view.entry(k) else { break }
                if entry.keyHash >= 0, Int(entry.keyHash) % slotsCount != slot {
                    collector.add(Finding(.repairable, "index.wrong-slot", file: path, position: entryPosition,
                                          expected: String(Int(entry.keyHash) % slotsCount), found: String(slot),
                                          "entry \(k) sits in the chain of another slot"))
                }
                let previous = Int(entry.prevIndex)
                if previous < 0 || previous >= k {
                    collector.add(Finding(.repairable, "index.bad-chain", file: path, position: entryPosition + 16,
                                          expected: "0...\(k - 1)", found: String(previous),
                                          "entry \(k)'s prevIndex does not go back (out of range or a cycle)"))
                    break
                }
                k = previous
            }
        }
        let header = view.header
        if chains != Int(header.hashSlotCount) {
            collector.add(Finding(.info, "index.slot-count", file: path, position: 32, expected: String(chains),
                                  found: String(header.hashSlotCount), "hashSlotCount differs from the number of non-empty slots"))
        }
        return reached
    }
}
