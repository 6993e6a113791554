// The units of an existing consume queue added up the way recover's scan adds up the records
// that should have made them (`LogEndScan.QueueDigest`), for `DerivedConsistency.queueDisagreement`.
//
// The sum is taken beside the scan, over the units the broker's recovery keeps, before the end
// of the log is known; the units its truncation then cuts are taken back off (`cut(to:)`): the
// sum is additive, and those are the last ones. Otherwise every queue file would be read again
// after the scan, on one core, while the other waits.

import RocketMQFormat
import RocketMQStore

struct QueueUnitDigest {
    /// `UnitDigest.unit` summed over the units counted (`lowestQueueOffset` is not kept).
    private(set) var digest = LogEndScan.QueueDigest()
    /// The first unit counted: the first naming a record at or after the log's first offset
    /// that is not a pre-blank unit; nil when there is none below `units`.
    private(set) var firstPosition: Int64?
    /// Units [0, units) were looked at.
    private(set) var units: Int64
    private let logMinOffset: Int64

    /// Adds up units [0, units) from the first naming a record in the log (`logMinOffset`) on.
    init(_ location: ConsumeQueueLocation, units: Int64, logMinOffset: Int64, fileSize: Int64) throws(StoreError) {
        self.units = units
        self.logMinOffset = logMinOffset
        var digest = LogEndScan.QueueDigest()
        var firstPosition: Int64?
        try Self.forEachUnit(location, from: 0, to: units, fileSize: fileSize) { queueOffset, physicalOffset, size, tagsCode in
            if firstPosition == nil {
                if physicalOffset < logMinOffset || (physicalOffset == 0 && size == Int32.max && tagsCode == 0) { return }
                firstPosition = queueOffset
            }
            digest.add(queueOffset: queueOffset, physicalOffset: physicalOffset, size: size, tagsCode: tagsCode)
        }
        self.digest = digest
        self.firstPosition = firstPosition
    }

    /// The digest of units [0, newUnits) alone: the counted units at or past `newUnits` (every
    /// unit from `firstPosition` on was counted) are read again and taken off. (More units
    /// than were looked at: added up again.)
    mutating func cut(to newUnits: Int64, location: ConsumeQueueLocation, fileSize: Int64) throws(StoreError) {
        if newUnits > units { self = try QueueUnitDigest(location, units: newUnits, logMinOffset: logMinOffset, fileSize: fileSize) }
        guard newUnits < units else { return }
        if let first = firstPosition {
            var removed = LogEndScan.QueueDigest()
            try Self.forEachUnit(location, from: max(first, newUnits), to: units, fileSize: fileSize) { queueOffset, physicalOffset, size, tagsCode in
                removed.add(queueOffset: queueOffset, physicalOffset: physicalOffset, size: size, tagsCode: tagsCode)
            }
            digest.sum &-= removed.sum
            digest.count -= removed.count
            if first >= newUnits { firstPosition = nil }
        }
        units = newUnits
    }

    /// Each unit at a queue offset in [lower, upper) that the queue's files hold (files of
    /// length 0 are skipped, a file longer than `fileSize` is read up to it), in order.
    private static func forEachUnit(_ location: ConsumeQueueLocation, from lower: Int64, to upper: Int64, fileSize: Int64,
                                     _ body: (_ queueOffset: Int64, _ physicalOffset: Int64, _ size: Int32, _ tagsCode: Int64) -> Void) throws(StoreError) {
        let unitSize = Int64(ConsumeQueueUnit.size)
        for file in location.files where file.size > 0 {
            let first = file.fromOffset / unitSize
            guard first < upper else { break }
            let count = min(min(file.size, fileSize) / unitSize, upper - first)
            let skip = max(0, lower - first)
            guard count > skip else { continue }
            let region = try MappedRegion(path: file.path)
            region.withBytes { bytes in
                // (A file cut since the store was listed: only the units it still holds.)
                let end = min(count, Int64(bytes.count / ConsumeQueueUnit.size))
                guard end > skip else { return }
                var position = Int(skip) * ConsumeQueueUnit.size
                for i in skip..<end {
                    let physicalOffset: Int64 = bytes.readBigEndianUnchecked(at: position)
                    let size: Int32 = bytes.readBigEndianUnchecked(at: position + 8)
                    let tagsCode: Int64 = bytes.readBigEndianUnchecked(at: position + 12)
                    position += ConsumeQueueUnit.size
                    body(first + i, physicalOffset, size, tagsCode)
                }
            }
        }
    }
}
