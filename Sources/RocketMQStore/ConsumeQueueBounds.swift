// Min and max queue offsets of a consume queue, read from its files as RocketMQ recovers them.

import RocketMQFormat

public struct ConsumeQueueBounds: Sendable, Hashable {
    /// First queue offset whose unit is valid (files can start past 0 after expiry).
    public var minOffset: Int64
    /// Next queue offset to write: after the last valid unit (`ConsumeQueue.getMaxOffsetInQueue`).
    public var maxOffset: Int64
    /// End (offset + size) of the last valid unit in the commitlog; -1 when empty.
    public var maxPhysicalEnd: Int64

    /// Scans the queue's files (valid units form a prefix of each file, FORMAT.md §11.4).
    public static func read(_ location: ConsumeQueueLocation) throws(StoreError) -> ConsumeQueueBounds {
        var minOffset: Int64?
        var maxOffset: Int64 = location.files.first.map { $0.fromOffset / Int64(ConsumeQueueUnit.size) } ?? 0
        var maxEnd: Int64 = -1
        for file in location.files {
            let region = try MappedRegion(path: file.path)
            region.withBytes { bytes in
                var position = 0
                while position + ConsumeQueueUnit.size <= bytes.count {
                    guard let unit = try? ConsumeQueueUnit(decoding: bytes, at: position), unit.isValid else { break }
                    let queueOffset = ConsumeQueueUnit.queueOffset(fileStart: file.fromOffset, position: position)
                    if minOffset == nil && !unit.isPreBlank { minOffset = queueOffset }
                    maxOffset = queueOffset + 1
                    if !unit.isPreBlank { maxEnd = unit.physicalOffset + Int64(unit.size) }
                    position += ConsumeQueueUnit.size
                }
            }
        }
        return ConsumeQueueBounds(minOffset: minOffset ?? maxOffset, maxOffset: maxOffset, maxPhysicalEnd: maxEnd)
    }
}
