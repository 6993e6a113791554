// Index file checks (FORMAT.md §8, §18 items 18–20 and 19a), one mapped file at a time.
//
// Header against entries, every slot chain in range, strictly decreasing (hence acyclic) and in
// its own slot, every entry reachable once, offsets ordered and inside the header's range, and
// each entry pointing at a record that carries a key (UNIQ_KEY or a KEYS token) whose
// `topic#key` hash is the entry's. Memory: one bit per entry of the file being checked.

import RocketMQFormat
import RocketMQStore

struct IndexVerifier {
    var layout: StoreLayout
    var facts: LogFacts

    func run(into collector: FindingCollector, summary: inout VerifySummary) {
        var previousEnd: Int64?
        var lastEnd: Int64?
        for file in layout.indexFiles {
            summary.indexFiles += 1
            if let end = check(file, previousEnd: previousEnd, into: collector, summary: &summary) {
                previousEnd = end
                lastEnd = end
            }
        }
        assert(lastEnd == Self.coveredEnd(layout), "the log pass looked for keys from the wrong offset")
        guard let lastKeyed = facts.lastKeyedOffset, lastKeyed >= facts.minOffset else { return }
        if layout.indexFiles.isEmpty {
            collector.add(Finding(
                .repairable, "index.missing", file: "index", physicalOffset: lastKeyed,
                expected: "index files covering keyed messages up to \(lastKeyed)", found: layout.hasIndexDirectory ? "no index files" : "no index/ directory",
                "the log holds messages with keys but there is no index: key queries return nothing (4.9.8 rebuilds it only after an abnormal shutdown)"))
        } else if let lastEnd, lastEnd < lastKeyed {
            collector.add(Finding(
                .repairable, "index.behind-log", file: layout.indexFiles.last?.relativePath, physicalOffset: lastEnd,
                expected: String(lastKeyed), found: String(lastEnd),
                "the index ends before the last keyed message of the log (index endPhyOffset \(lastEnd) < \(lastKeyed))"))
        }
    }

    /// The endPhyOffset of the last index file `check` accepts (the one `run` compares with the
    /// last keyed record), read from the headers alone, before the log pass: records up to it
    /// need not be searched for keys. Nil when no file qualifies.
    static func coveredEnd(_ layout: StoreLayout) -> Int64? {
        for file in layout.indexFiles.reversed() {
            guard let indexLayout = indexLayout(of: file, in: layout), indexLayout.fileSize == Int(file.size),
                  let bytes = try? FileSystem.read(file.path, offset: 0, count: IndexHeader.size),
                  let header = bytes.withUnsafeBytes({ try? IndexHeader(decoding: $0) }),
                  header.indexCount >= 0, Int(header.indexCount) <= indexLayout.indexNum, header.effectiveIndexCount > 1
            else { continue }
            return header.endPhyOffset
        }
        return nil
    }

    private static func indexLayout(of file: SegmentFile, in layout: StoreLayout) -> IndexFileLayout? {
        if let slots = layout.options.maxHashSlotNum, let entries = layout.options.maxIndexNum {
            return IndexFileLayout(hashSlotNum: slots, indexNum: entries)
        }
        return IndexFileLayout.infer(fileSize: Int(file.size))
    }

    /// Checks one file; returns its endPhyOffset when it has entries.
    private func check(_ file: SegmentFile, previousEnd: Int64?, into collector: FindingCollector,
                       summary: inout VerifySummary) -> Int64? {
        let path = file.relativePath
        let indexLayout = Self.indexLayout(of: file, in: layout)
        guard let indexLayout, indexLayout.fileSize == Int(file.size) else {
            collector.add(Finding(.repairable, "index.file-size", file: path, expected: indexLayout.map { String($0.fileSize) } ?? "40 + 4·slots + 20·entries",
                                  found: String(file.size), "index file size does not match the index layout"))
            return nil
        }
        guard let region = try? MappedRegion(path: file.path, sequential: false) else {
            collector.add(Finding(.repairable, "index.unreadable", file: path, "cannot read"))
            return nil
        }
        return region.withBytes { bytes -> Int64? in
            guard let view = try? IndexFileView(bytes: bytes, layout: indexLayout) else { return nil }
            return check(view, path: path, previousEnd: previousEnd, into: collector, summary: &summary)
        }
    }

    private func check(_ view: IndexFileView, path: String, previousEnd: Int64?, into collector: FindingCollector,
                       summary: inout VerifySummary) -> Int64? {
        let header = view.header
        let slotsCount = view.layout.hashSlotNum
        func headerFinding(_ field: String, _ expected: String, _ found: String, position: Int64) {
            collector.add(Finding(.repairable, "index.bad-header", file: path, position: position, expected: expected,
                                  found: found, "index header \(field) is inconsistent"))
        }
        if header.indexCount < 0 || Int(header.indexCount) > view.layout.indexNum {
            headerFinding("indexCount", "0...\(view.layout.indexNum)", String(header.indexCount), position: 36)
            return nil
        }
        let count = Int(header.effectiveIndexCount)
        if header.hashSlotCount < 0 || Int(header.hashSlotCount) > min(slotsCount, max(0, count - 1)) {
            headerFinding("hashSlotCount", "0...\(min(slotsCount, max(0, count - 1)))", String(header.hashSlotCount), position: 32)
        }
        guard count > 1 else { return nil }
        if header.beginTimestamp > header.endTimestamp {
            headerFinding("beginTimestamp", "<= endTimestamp \(header.endTimestamp)", String(header.beginTimestamp), position: 0)
        }
        if header.beginPhyOffset > header.endPhyOffset {
            headerFinding("beginPhyOffset", "<= endPhyOffset \(header.endPhyOffset)", String(header.beginPhyOffset), position: 16)
        }
        if let previousEnd, header.beginPhyOffset < previousEnd {
            collector.add(Finding(.info, "index.files-out-of-order", file: path, position: 16, expected: ">= \(previousEnd)",
                                  found: String(header.beginPhyOffset), "beginPhyOffset is below the previous index file's endPhyOffset"))
        }

        // Slot chains.
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
        if chains != Int(header.hashSlotCount) {
            collector.add(Finding(.info, "index.slot-count", file: path, position: 32, expected: String(chains),
                                  found: String(header.hashSlotCount), "hashSlotCount differs from the number of non-empty slots"))
        }

        // Entries.
        var unreachable = 0, firstUnreachable = 0
        var ahead = 0, firstAhead = 0
        var previousOffset = Int64.min
        for k in 1..<count {
            guard let entry = view.entry(k) else { break }
            summary.indexEntries += 1
            let position = Int64(view.layout.entryPosition(k))
            if reached[k >> 6] & (1 << UInt64(k & 63)) == 0 {
                if unreachable == 0 { firstUnreachable = k }
                unreachable += 1
            }
            func add(_ severity: Finding.Severity, _ code: String, expected: String? = nil, found: String? = nil, _ message: String) {
                collector.add(Finding(severity, code, file: path, position: position, physicalOffset: entry.phyOffset,
                                      expected: expected, found: found, "entry \(k): " + message))
            }
            if entry.keyHash < 0 { add(.repairable, "index.bad-hash", expected: ">= 0", found: String(entry.keyHash), "negative key hash") }
            if entry.phyOffset < previousOffset {
                add(.repairable, "index.offset-out-of-order", expected: ">= \(previousOffset)", found: String(entry.phyOffset),
                    "physical offsets must not decrease")
            }
            previousOffset = entry.phyOffset
            if entry.phyOffset < header.beginPhyOffset || entry.phyOffset > header.endPhyOffset {
                add(.repairable, "index.offset-outside-header", expected: "\(header.beginPhyOffset)...\(header.endPhyOffset)",
                    found: String(entry.phyOffset), "offset outside the header's begin/end offsets")
            }
            let problem: Finding? = facts.map.withRecord(at: entry.phyOffset) { lookup in
                switch lookup {
                case .belowMin: return nil
                case .beyondEnd:
                    if ahead == 0 { firstAhead = k }
                    ahead += 1
                    return nil
                case .damaged:
                    return Finding(.info, "index.points-at-damaged-record", file: path, position: position, physicalOffset: entry.phyOffset,
                                   "entry \(k) points at a record that fails its checks (reported with the commitlog)")
                case .noFile, .notARecord:
                    return Finding(.repairable, "index.no-record", file: path, position: position, physicalOffset: entry.phyOffset,
                                   "entry \(k) points at an offset where no valid record starts")
                case .record(let record):
                    if Self.recordHasKey(record, hash: entry.keyHash) { return nil }
                    return Finding(.repairable, "index.key-mismatch", file: path, position: position, physicalOffset: entry.phyOffset,
                                   expected: String(entry.keyHash), found: "no UNIQ_KEY/KEYS with that topic#key hash",
                                   "entry \(k)'s record carries no key with the entry's hash")
                }
            }
            if let problem { collector.add(problem) }
        }
        if unreachable > 0 {
            collector.add(Finding(.repairable, "index.unreachable-entry", file: path,
                                  position: Int64(view.layout.entryPosition(firstUnreachable)),
                                  "\(unreachable) entr\(unreachable == 1 ? "y is" : "ies are") not reachable from any slot (first: entry \(firstUnreachable))"))
        }
        if ahead > 0, let entry = view.entry(firstAhead) {
            collector.add(Finding(.repairable, "index.ahead-of-log", file: path, position: Int64(view.layout.entryPosition(firstAhead)),
                                  physicalOffset: entry.phyOffset, expected: "< \(facts.endOffset)", found: String(entry.phyOffset),
                                  "\(ahead) entr\(ahead == 1 ? "y points" : "ies point") at or past the end of the log (first: entry \(firstAhead))"))
        }
        return header.endPhyOffset
    }

    /// Whether `record` has UNIQ_KEY or a KEYS token whose `topic#key` hash is `hash`.
    static func recordHasKey(_ record: MessageRecordView, hash: Int32) -> Bool {
        let topic = record.topicBytes
        if let uniq = record.propertyBytes("UNIQ_KEY"), IndexKey.hash(topic: topic, key: uniq) == hash { return true }
        guard let keys = record.propertyBytes("KEYS") else { return false }
        var start = 0
        for i in 0...keys.count {
            if i == keys.count || keys[i] == 0x20 {
                if i > start, IndexKey.hash(topic: topic, key: UnsafeRawBufferPointer(rebasing: keys[start..<i])) == hash {
                    return true
                }
                start = i + 1
            }
        }
        return false
    }
}
