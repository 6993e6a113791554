// Which index file holds the entries of a record, read from the index headers before the log
// pass, so that the log pass can add up each file's expected entries (UnitDigest.entry).
//
// A file's entries cover [beginPhyOffset, endPhyOffset]. Records at either end may have their
// keys split between two files (rotation happens when a file is full, mid-record) and entry 1
// has the timeDiff quirk of §8.3, so only records strictly inside a range are digested; the
// entries at the ends are compared with their records one by one.

import RocketMQFormat
import RocketMQStore

struct IndexCoverage: Sendable {
    struct Range: Sendable {
        /// Position of the file in `layout.indexFiles`.
        var file: Int
        var begin: Int64
        var end: Int64
        var beginTimestamp: Int64
    }

    /// Ranges of the files `IndexVerifier` checks entry by entry, sorted by begin.
    let ranges: [Range]
    /// Number of index files (digests are kept per file).
    let fileCount: Int
    /// [begin, end] of every accepted file, overlapping or not, merged: keyed records strictly
    /// between the first begin and the last end but outside all of them have no entries.
    let covered: [ClosedRange<Int64>]

    init(_ layout: StoreLayout) {
        var ranges: [Range] = []
        for (i, file) in layout.indexFiles.enumerated() {
            guard let header = IndexVerifier.acceptedHeader(file, in: layout), header.beginPhyOffset < header.endPhyOffset
            else { continue }
            ranges.append(Range(file: i, begin: header.beginPhyOffset, end: header.endPhyOffset,
                                beginTimestamp: header.beginTimestamp))
        }
        ranges.sort { $0.begin < $1.begin }
        var covered: [ClosedRange<Int64>] = []
        for range in ranges {
            if let last = covered.last, range.begin <= last.upperBound {
                covered[covered.count - 1] = last.lowerBound...max(last.upperBound, range.end)
            } else {
                covered.append(range.begin...range.end)
            }
        }
        self.covered = covered
        // Overlapping ranges cannot say which file a record belongs to: digest none of them.
        var overlapping = Set<Int>()
        for i in ranges.indices.dropFirst() where ranges[i].begin < ranges[i - 1].end {
            overlapping.insert(ranges[i].file)
            overlapping.insert(ranges[i - 1].file)
        }
        self.ranges = ranges.filter { !overlapping.contains($0.file) }
        fileCount = layout.indexFiles.count
    }

    /// The range whose interior holds `offset`, if any.
    func range(strictlyContaining offset: Int64) -> Range? {
        var low = 0, high = ranges.count - 1
        while low <= high {
            let mid = (low + high) / 2
            let range = ranges[mid]
            if offset <= range.begin { high = mid - 1 }
            else if offset >= range.end { low = mid + 1 }
            else { return range }
        }
        return nil
    }

    /// True for an offset inside the index's span that no file covers (a deleted or lost file).
    func isInGap(_ offset: Int64) -> Bool {
        guard let first = covered.first, let last = covered.last, offset > first.lowerBound, offset < last.upperBound
        else { return false }
        var low = 0, high = covered.count - 1
        while low <= high {
            let mid = (low + high) / 2
            if offset < covered[mid].lowerBound { high = mid - 1 }
            else if offset > covered[mid].upperBound { low = mid + 1 }
            else { return false }
        }
        return true
    }

    /// The timeDiff putKey stores for a record stored at `storeTimestamp` (§8.3).
    static func timeDiff(storeTimestamp: Int64, beginTimestamp: Int64) -> Int32 {
        guard beginTimestamp > 0 else { return 0 }
        let diff = (storeTimestamp &- beginTimestamp) / 1000
        return diff < 0 ? 0 : Int32(min(diff, Int64(Int32.max)))
    }
}

/// Sum and count of `UnitDigest.entry` over one index file's interior entries.
struct IndexDigest: Sendable, Equatable {
    var sum: UInt64 = 0
    var count = 0

    mutating func add(_ other: IndexDigest) {
        sum &+= other.sum
        count += other.count
    }
}
