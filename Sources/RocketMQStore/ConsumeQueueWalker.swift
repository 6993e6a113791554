// Streams the units of consume queue files, one mapped file at a time.

import RocketMQFormat

public enum ConsumeQueueWalker {
    public enum Event {
        case fileStart(ConsumeQueueLocation, SegmentFile)
        /// A non-zero unit. `afterZeroUnit`: an all-zero unit came before it in the same file.
        case unit(ConsumeQueueLocation, SegmentFile, position: Int, queueOffset: Int64, ConsumeQueueUnit, afterZeroUnit: Bool)
        /// The first all-zero unit of a file: where RocketMQ's recovery stops reading it.
        case end(ConsumeQueueLocation, SegmentFile, position: Int, queueOffset: Int64)
        /// Bytes at the end of a file that do not make a whole unit (a file of a wrong size).
        case partialUnit(ConsumeQueueLocation, SegmentFile, position: Int, bytes: Int)
    }

    /// Walks every unit of `location` (every file, every slot; zero units are reported once).
    public static func walk(_ location: ConsumeQueueLocation, _ visit: (Event) throws -> Void) throws {
        for file in location.files {
            try visit(.fileStart(location, file))
            let region = try MappedRegion(path: file.path)
            try region.withBytes { bytes in
                var sawZero = false
                var position = 0
                while position + ConsumeQueueUnit.size <= bytes.count {
                    let unit = try! ConsumeQueueUnit(decoding: bytes, at: position)  // in bounds: cannot fail
                    let queueOffset = ConsumeQueueUnit.queueOffset(fileStart: file.fromOffset, position: position)
                    if unit.isAllZero {
                        if !sawZero { try visit(.end(location, file, position: position, queueOffset: queueOffset)) }
                        sawZero = true
                    } else {
                        try visit(.unit(location, file, position: position, queueOffset: queueOffset, unit, afterZeroUnit: sawZero))
                    }
                    position += ConsumeQueueUnit.size
                }
                if position < bytes.count {
                    try visit(.partialUnit(location, file, position: position, bytes: bytes.count - position))
                }
            }
        }
    }
}
