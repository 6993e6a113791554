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
        if let slots = layout.options.maxHashSlotNum, let entries = layout.options.maxIndexNum {
            return IndexFileLayout(hashSlotNum: slots, indexNum: entries)
        }
        return IndexFileLayout.infer(fileSize: Int(file.size))
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
        if slotsCount <= Self.maxReplaySlots {
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
            let results = Mutex<[RangeResult?]>(Array(repeating: nil, count: parts))
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

    /// Slot tables larger than this (4 bytes a slot) are walked chain by chain instead.
    static let maxReplaySlots = 16_000_000

    /// §8.3 replayed: putKey links entry k to the last earlier entry of its slot (keyHash mod H)
    /// and leaves each slot naming the last entry of the slot. Checking exactly that, in entry
    /// order, proves every chain in range, acyclic, in its own slot and every entry reachable
    /// once, with sequential reads only (a chain walk reads the entries in random order).
    private func replayChains(_ view: IndexFileView, count: Int, path: String, into collector: FindingCollector) {
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
    private func walkChains(_ view: IndexFileView, count: Int, path: String, into collector: FindingCollector) -> [UInt64] {
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

    /// The normalized `topic#key` hashes of the record's UNIQ_KEY and KEYS tokens (§8.2, §8.4).
    static func keyHashes(of record: MessageRecordView, into hashes: inout [Int32]) {
        let properties = DispatchProperties(record)
        keyHashes(topic: record.topicBytes, uniqueKey: properties.uniqueKey, keys: properties.keys, into: &hashes)
    }

    static func keyHashes(topic: UnsafeRawBufferPointer, uniqueKey: UnsafeRawBufferPointer?, keys: UnsafeRawBufferPointer?,
                          into hashes: inout [Int32]) {
        // Java hash of "topic#" once; each key continues from it (ASCII; otherwise the general path).
        var prefix: Int32? = 0
        for byte in topic {
            if byte >= 0x80 { prefix = nil; break }
            prefix = prefix! &* 31 &+ Int32(byte)
        }
        prefix = prefix.map { $0 &* 31 &+ 0x23 }
        func hash(_ key: UnsafeRawBufferPointer) -> Int32 {
            guard var h = prefix, let base = key.baseAddress else {
                return prefix == nil ? IndexKey.hash(topic: topic, key: key) : IndexKey.normalizedHash(prefix!)
            }
            // h·31⁴ + (c0·31³ + c1·31² + c2·31 + c3) per 4 bytes: the same wrapping value as the
            // byte-by-byte loop, with one dependent multiply per 4 bytes instead of 4.
            let count = key.count
            var i = 0
            while i + 4 <= count {
                let word = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt32.self))
                if word & 0x8080_8080 != 0 { return IndexKey.hash(topic: topic, key: key) }
                let c0 = Int32(word & 0xFF), c1 = Int32((word >> 8) & 0xFF)
                let c2 = Int32((word >> 16) & 0xFF), c3 = Int32(word >> 24)
                h = h &* 923_521 &+ (c0 &* 29_791 &+ c1 &* 961 &+ c2 &* 31 &+ c3)
                i += 4
            }
            while i < count {
                let byte = key[i]
                if byte >= 0x80 { return IndexKey.hash(topic: topic, key: key) }
                h = h &* 31 &+ Int32(byte)
                i += 1
            }
            return IndexKey.normalizedHash(h)
        }
        if let uniqueKey { hashes.append(hash(uniqueKey)) }
        guard let keys else { return }
        var start = 0
        for i in 0...keys.count where i == keys.count || keys[i] == 0x20 {
            if i > start { hashes.append(hash(UnsafeRawBufferPointer(rebasing: keys[start..<i]))) }
            start = i + 1
        }
    }
}
