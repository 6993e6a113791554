// Index file checks (FORMAT.md §8, §18 items 18–20 and 19a), one mapped file at a time.
//
// Header against entries, every slot chain in range, strictly decreasing (hence acyclic) and in
// its own slot, every entry reachable once, offsets ordered and inside the header's range, and
// each entry pointing at a record that carries a key (UNIQ_KEY or a KEYS token) whose
// `topic#key` hash is the entry's. Memory: one bit per entry of the file being checked.

import Dispatch
import RocketMQFormat
import RocketMQStore
import Synchronization

struct IndexVerifier: @unchecked Sendable {  // LogFacts' map is immutable once built
    var layout: StoreLayout
    var facts: LogFacts
    /// Entry ranges checked in parallel (findings are still reported in entry order).
    var jobs = 1
    /// Slot tables up to this size are replayed in entry order, larger ones walked.
    var replaySlotLimit = 8_000_000

    func run(into collector: FindingCollector, summary: inout VerifySummary) {
        var previousEnd: Int64?
        var lastEnd: Int64?
        for (fileIndex, file) in layout.indexFiles.enumerated() {
            summary.indexFiles += 1
            let expected = fileIndex < facts.indexDigests.count ? facts.indexDigests[fileIndex] : IndexDigest()
            if let end = check(file, expected: expected, previousEnd: previousEnd, into: collector, summary: &summary) {
                previousEnd = end
                lastEnd = end
            }
        }
        assert(lastEnd == Self.coveredEnd(layout), "the log pass looked for keys from the wrong offset")
        if let gap = facts.unindexed {
            collector.add(Finding(
                .repairable, "index.missing-entries", file: "index", physicalOffset: gap.first,
                expected: "index entries for every UNIQ_KEY/KEYS", found: "\(gap.count) keyed records without a covering index file",
                "\(gap.count) keyed message(s) between index files have no entries (an index file is missing?); first at \(gap.first)"))
        }
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
            if let header = acceptedHeader(file, in: layout) { return header.endPhyOffset }
        }
        return nil
    }

    /// The header of `file` when `check` goes on to its entries (valid size and count, at
    /// least one entry), read alone.
    static func acceptedHeader(_ file: SegmentFile, in layout: StoreLayout) -> IndexHeader? {
        guard let indexLayout = indexLayout(of: file, in: layout), indexLayout.fileSize == Int(file.size),
              let bytes = try? FileSystem.read(file.path, offset: 0, count: IndexHeader.size),
              let header = bytes.withUnsafeBytes({ try? IndexHeader(decoding: $0) }),
              header.indexCount >= 0, Int(header.indexCount) <= indexLayout.indexNum, header.effectiveIndexCount > 1
        else { return nil }
        return header
    }

    private static func indexLayout(of file: SegmentFile, in layout: StoreLayout) -> IndexFileLayout? {
        layout.indexLayout(of: file)
    }

    /// Checks one file; returns its endPhyOffset when it has entries.
    private func check(_ file: SegmentFile, expected: IndexDigest, previousEnd: Int64?, into collector: FindingCollector,
                       summary: inout VerifySummary) -> Int64? {
        let path = file.relativePath
        let indexLayout = Self.indexLayout(of: file, in: layout)
        guard let indexLayout, indexLayout.fileSize == Int(file.size) else {
            collector.add(Finding(.repairable, "index.file-size", file: path, expected: indexLayout.map { String($0.fileSize) } ?? "40 + 4·slots + 20·entries",
                                  found: String(file.size), "index file size does not match the index layout"))
            return nil
        }
        guard let region = try? MappedRegion(path: file.path, sequential: false) else {
            collector.add(Finding(.unreadable, "index.unreadable", file: path, "cannot read"))
            return nil
        }
        return region.withBytes { bytes -> Int64? in
            guard let view = try? IndexFileView(bytes: bytes, layout: indexLayout) else { return nil }
            return check(view, path: path, expected: expected, previousEnd: previousEnd, into: collector, summary: &summary)
        }
    }

    private func check(_ view: IndexFileView, path: String, expected: IndexDigest, previousEnd: Int64?, into collector: FindingCollector,
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
        // putKey sets begin* from the first entry and end* from every entry (§8.3), so the
        // header names the first and the last entry's offset and record store time.
        if let first = view.entry(1), let last = view.entry(count - 1) {
            if header.beginPhyOffset != first.phyOffset {
                headerFinding("beginPhyOffset", "entry 1's offset \(first.phyOffset)", String(header.beginPhyOffset), position: 16)
            }
            if header.endPhyOffset != last.phyOffset {
                headerFinding("endPhyOffset", "entry \(count - 1)'s offset \(last.phyOffset)", String(header.endPhyOffset), position: 24)
            }
            for (field, position, entry, value) in [("beginTimestamp", Int64(0), first, header.beginTimestamp),
                                                    ("endTimestamp", Int64(8), last, header.endTimestamp)] {
                let stored: Int64? = facts.map.withRecord(at: entry.phyOffset) { lookup in
                    if case .record(let record) = lookup { return record.storeTimestamp }
                    return nil
                }
                if let stored, stored != value {
                    headerFinding(field, "STORETIMESTAMP \(stored) of the record of entry \(entry == first ? 1 : count - 1)",
                                  String(value), position: position)
                }
            }
        }

        // Slot chains: replayed in entry order when the slot table fits in memory, else walked.
        let reached: [UInt64]?
        if slotsCount <= replaySlotLimit {
            replayChains(view, count: count, path: path, into: collector)
            reached = nil
        } else {
            reached = walkChains(view, count: count, path: path, into: collector)
        }

        // Entries: in ranges checked in parallel when jobs > 1, findings replayed in entry order.
        // Entries strictly inside the header's range whose sum matches the log's need no record
        // reads (the log pass added up the keys, offsets and times they should hold).
        let proven = Self.interiorDigest(view, count: count, facts: facts) == expected
        var outcome = EntryOutcome()
        if jobs <= 1 || count < 4096 {
            outcome = checkEntries(view, 1..<count, reached: reached, proven: proven, path: path, into: collector)
        } else {
            let parts = min(jobs * 4, count / 1024)
            let ranges = (0..<parts).map { i in (1 + (count - 1) * i / parts)..<(1 + (count - 1) * (i + 1) / parts) }
            let shared = SharedView(view: view, reached: reached)
            let results = Locked<[RangeResult?]>(Array(repeating: nil, count: parts))
            let next = Atomic<Int>(0)
            let downgraded = collector.downgradedToInfo
            DispatchQueue.concurrentPerform(iterations: min(jobs, parts)) { _ in
                while true {
                    let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
                    guard index < parts else { return }
                    let (local, buffer) = FindingCollector.buffer()
                    local.downgradedToInfo = downgraded
                    let part = checkEntries(shared.view, ranges[index], reached: shared.reached, proven: proven, path: path,
                                            into: local)
                    let result = RangeResult(outcome: part, collector: local, buffer: buffer)
                    results.withLock { $0[index] = result }
                }
            }
            for result in results.withLock({ $0 }) {
                collector.replay(result!.collector, result!.buffer)
                outcome.merge(result!.outcome)
            }
        }
        summary.indexEntries += outcome.entries
        if outcome.unreachable > 0 {
            let unreachable = outcome.unreachable
            collector.add(Finding(.repairable, "index.unreachable-entry", file: path,
                                  position: Int64(view.layout.entryPosition(outcome.firstUnreachable)),
                                  "\(unreachable) entr\(unreachable == 1 ? "y is" : "ies are") not reachable from any slot (first: entry \(outcome.firstUnreachable))"))
        }
        if outcome.ahead > 0, let entry = view.entry(outcome.firstAhead) {
            let ahead = outcome.ahead
            collector.add(Finding(.repairable, "index.ahead-of-log", file: path, position: Int64(view.layout.entryPosition(outcome.firstAhead)),
                                  physicalOffset: entry.phyOffset, expected: "< \(facts.endOffset)", found: String(entry.phyOffset),
                                  "\(ahead) entr\(ahead == 1 ? "y points" : "ies point") at or past the end of the log (first: entry \(outcome.firstAhead))"))
        }
        return header.endPhyOffset
    }

    /// What a range of entries adds up to (the findings go to the collector).
    struct EntryOutcome {
        var entries = 0
        var unreachable = 0, firstUnreachable = 0
        var ahead = 0, firstAhead = 0

        mutating func merge(_ other: EntryOutcome) {
            entries += other.entries
            if other.unreachable > 0 {
                if unreachable == 0 { firstUnreachable = other.firstUnreachable }
                unreachable += other.unreachable
            }
            if other.ahead > 0 {
                if ahead == 0 { firstAhead = other.firstAhead }
                ahead += other.ahead
            }
        }
    }

    private struct RangeResult: @unchecked Sendable {  // handed from a worker to the caller after the join
        var outcome: EntryOutcome
        var collector: FindingCollector
        var buffer: FindingBuffer
    }

    /// The mapped view and reachability bits, read-only while the ranges are checked.
    private struct SharedView: @unchecked Sendable {
        var view: IndexFileView
        var reached: [UInt64]?
    }

    /// Checks entries `range` of one file: offsets ordered and inside the header's range, the
    /// record there carries a key with the entry's hash, the entry's time matches the record's.
    private func checkEntries(_ view: IndexFileView, _ range: Range<Int>, reached: [UInt64]?, proven: Bool, path: String,
                              into collector: FindingCollector) -> EntryOutcome {
        let header = view.header
        let minOffset = facts.minOffset, endOffset = facts.endOffset
        var outcome = EntryOutcome()
        var previousOffset = range.lowerBound > 1 ? (view.entry(range.lowerBound - 1)?.phyOffset ?? .min) : .min
        // Consecutive entries usually name the same record (one entry per key): decode it and
        // hash its keys once.
        var cachedOffset = Int64.min
        var cachedHashes: [Int32] = []
        cachedHashes.reserveCapacity(8)
        var cachedStoreTimestamp: Int64 = 0
        for k in range {
            guard let entry = view.entry(k) else { break }
            outcome.entries += 1
            let position = Int64(view.layout.entryPosition(k))
            if let reached, reached[k >> 6] & (1 << UInt64(k & 63)) == 0 {
                if outcome.unreachable == 0 { outcome.firstUnreachable = k }
                outcome.unreachable += 1
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
            if proven, entry.phyOffset > header.beginPhyOffset, entry.phyOffset < header.endPhyOffset,
               entry.phyOffset >= minOffset, entry.phyOffset < endOffset {
                continue
            }
            if entry.phyOffset != cachedOffset {
                cachedHashes.removeAll(keepingCapacity: true)
                let problem: Finding? = facts.map.withRecord(at: entry.phyOffset) { lookup in
                    switch lookup {
                    case .belowMin: return nil
                    case .beyondEnd:
                        if outcome.ahead == 0 { outcome.firstAhead = k }
                        outcome.ahead += 1
                        return nil
                    case .damaged:
                        return Finding(.info, "index.points-at-damaged-record", file: path, position: position, physicalOffset: entry.phyOffset,
                                       "entry \(k) points at a record that fails its checks (reported with the commitlog)")
                    case .noFile, .notARecord:
                        return Finding(.repairable, "index.no-record", file: path, position: position, physicalOffset: entry.phyOffset,
                                       "entry \(k) points at an offset where no valid record starts")
                    case .record(let record):
                        Self.keyHashes(of: record, into: &cachedHashes)
                        cachedStoreTimestamp = record.storeTimestamp
                        cachedOffset = entry.phyOffset
                        return nil
                    }
                }
                if let problem {
                    collector.add(problem)
                    continue
                }
                if entry.phyOffset != cachedOffset { continue }  // not a record: nothing more to compare
            }
            if !cachedHashes.contains(entry.keyHash) {
                collector.add(Finding(.repairable, "index.key-mismatch", file: path, position: position, physicalOffset: entry.phyOffset,
                                      expected: String(entry.keyHash), found: "no UNIQ_KEY/KEYS with that topic#key hash",
                                      "entry \(k)'s record carries no key with the entry's hash"))
            }
            checkTime(entry, k: k, storeTimestamp: cachedStoreTimestamp, header: header, position: position, path: path,
                      into: collector)
        }
        return outcome
    }

    /// What the file's interior entries that point into the log add up to (UnitDigest.entry),
    /// for comparison with the log pass's `IndexDigest` of the same file.
    static func interiorDigest(_ view: IndexFileView, count: Int, facts: LogFacts) -> IndexDigest {
        let header = view.header
        let low = max(header.beginPhyOffset + 1, facts.minOffset)
        let high = min(header.endPhyOffset, facts.endOffset)
        var digest = IndexDigest()
        guard low < high else { return digest }
        let bytes = view.bytes
        var position = view.layout.entryPosition(1)
        for _ in 1..<count {
            let keyHash: Int32 = bytes.readBigEndianUnchecked(at: position)
            let physical: Int64 = bytes.readBigEndianUnchecked(at: position + 4)
            if physical >= low, physical < high {
                let timeDiff: Int32 = bytes.readBigEndianUnchecked(at: position + 12)
                digest.sum &+= UnitDigest.entry(physicalOffset: physical, keyHash: keyHash, timeDiff: timeDiff)
                digest.count += 1
            }
            position += IndexFileLayout.entrySize
        }
        return digest
    }

    /// FORMAT.md §8.3, §18 item 19: beginTimestamp + timeDiff·1000 ≤ STORETIMESTAMP < that + 1000.
    /// Entry 1 is relative to the timestamp inherited at rotation (the putKey quirk) and a clock
    /// that went backwards clamps timeDiff to 0: both only info.
    private func checkTime(_ entry: IndexEntry, k: Int, storeTimestamp: Int64, header: IndexHeader, position: Int64,
                           path: String, into collector: FindingCollector) {
        guard header.beginTimestamp > 0 else { return }
        let expectedDiff = (storeTimestamp - header.beginTimestamp) / 1000
        let clamped = expectedDiff < 0 ? 0 : min(expectedDiff, Int64(Int32.max))
        guard Int64(entry.timeDiff) != clamped else { return }
        let quirk = k == 1 || expectedDiff < 0
        collector.add(Finding(
            quirk ? .info : .repairable, "index.time-mismatch", file: path, position: position,
            physicalOffset: entry.phyOffset, expected: String(clamped), found: String(entry.timeDiff),
            "entry \(k)'s timeDiff does not match its record's STORETIMESTAMP (\(storeTimestamp)) against beginTimestamp \(header.beginTimestamp)"))
    }
}
