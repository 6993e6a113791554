// Queue offsets of the records salvage keeps, queue by queue: where the kept records leave a
// gap (a lost record's QUEUEOFFSET), and, with `--renumber`, the contiguous offsets they get.
//
// Why renumber: RocketMQ's putMessagePositionInfo appends the next unit after a gap anyway
// ("[BUG]logic queue order maybe wrong"), so every later unit of the queue sits one position
// before its record's QUEUEOFFSET, and a 4.9.8 client (which commits msg.queueOffset + 1 while
// pulling by position) skips a message per gap on restart. Renumbered records sit at
// position == QUEUEOFFSET again; committed offsets are mapped with `newOffset(for:)`.

import RocketMQFormat

public struct SalvageQueueOffsets {
    public struct Key: Hashable, Sendable, Comparable {
        public var topic: String
        public var queueId: Int32

        public static func < (a: Key, b: Key) -> Bool { (a.topic, a.queueId) < (b.topic, b.queueId) }
    }

    /// One queue's bookkeeping.
    public struct Queue: Sendable {
        /// The first kept record's QUEUEOFFSET (kept as the queue's start in both modes).
        public var firstQueueOffset: Int64
        /// The next QUEUEOFFSET the source would have (after the last kept record).
        public var nextSourceQueueOffset: Int64
        /// The next QUEUEOFFSET written to the new store.
        public var nextQueueOffset: Int64
        public var records = 0
        /// Kept records whose QUEUEOFFSET was rewritten.
        public var renumbered = 0
        /// Queue offsets [from, to) with no kept record, in source offsets.
        public var gaps: [Range<Int64>] = []
        /// (source offset, new offset) where the shift between the two changes; a committed
        /// offset maps with the last anchor at or below it.
        var anchors: [(source: Int64, new: Int64)] = []

        /// Queue offsets lost below the end of the kept records.
        public var lostOffsets: Int64 { gaps.reduce(0) { $0 &+ ($1.upperBound &- $1.lowerBound) } }

        /// Where a consumer's committed offset (next offset to consume, in source offsets) lands
        /// in the renumbered queue: the lost offsets below it are taken off, so the consumer
        /// neither skips nor re-reads a kept record.
        public func newOffset(for committed: Int64) -> Int64 {
            guard let anchor = anchors.last(where: { $0.source <= committed }) else { return committed }
            return committed &- anchor.source &+ anchor.new
        }
    }

    public let renumber: Bool
    public private(set) var queues: [Key: Queue] = [:]

    public init(renumber: Bool) {
        self.renumber = renumber
    }

    /// Accounts for a kept record dispatched to a consume queue, taking `step` queue offsets
    /// (INNER_NUM for a 5.x inner batch, else 1); returns the QUEUEOFFSET to write.
    /// Damaged QUEUEOFFSETs can hold any value: arithmetic on them wraps (as Java's does) rather
    /// than trap.
    public mutating func place(topic: String, queueId: Int32, queueOffset: Int64, step: Int64) -> Int64 {
        let key = Key(topic: topic, queueId: queueId)
        guard var queue = queues[key] else {
            // A renumbered queue starts at its first record's offset, unless no consume queue
            // could hold it (negative, or past Int64.max / 20 bytes of units): then at 0.
            let start = renumber && !(0...Self.maxQueueOffset).contains(queueOffset) ? 0 : queueOffset
            var queue = Queue(firstQueueOffset: start, nextSourceQueueOffset: queueOffset &+ step,
                              nextQueueOffset: start &+ step, records: 1)
            queue.anchors.append((queueOffset, start))
            if start != queueOffset { queue.renumbered = 1 }
            queues[key] = queue
            return start
        }
        let expected = queue.nextSourceQueueOffset
        if queueOffset > expected { queue.gaps.append(expected..<queueOffset) }
        queue.nextSourceQueueOffset = max(expected, queueOffset &+ step)
        queue.records += 1
        let written = renumber ? queue.nextQueueOffset : queueOffset
        if written != queueOffset { queue.renumbered += 1 }
        if let last = queue.anchors.last, queueOffset &- last.source != written &- last.new {
            queue.anchors.append((queueOffset, written))
        }
        queue.nextQueueOffset = renumber ? written &+ step : max(queue.nextQueueOffset, queueOffset &+ step)
        queues[key] = queue
        return written
    }

    /// The largest queue offset whose unit position (× 20 bytes) fits in an Int64.
    static let maxQueueOffset = Int64.max / Int64(ConsumeQueueUnit.size)

    /// Every gap, by queue then offset.
    public var gaps: [StoreSalvager.QueueGap] {
        queues.sorted { $0.key < $1.key }.flatMap { key, queue in
            queue.gaps.map { StoreSalvager.QueueGap(topic: key.topic, queueId: key.queueId, from: $0.lowerBound, to: $0.upperBound) }
        }
    }

    /// The queues `--renumber` changed (some record got a new QUEUEOFFSET), by queue.
    public var renumberings: [StoreSalvager.QueueRenumbering] {
        queues.sorted { $0.key < $1.key }.compactMap { key, queue in
            guard queue.renumbered > 0 else { return nil }
            return StoreSalvager.QueueRenumbering(
                topic: key.topic, queueId: key.queueId, firstQueueOffset: queue.firstQueueOffset, records: queue.records,
                renumbered: queue.renumbered, sourceNextQueueOffset: queue.nextSourceQueueOffset, nextQueueOffset: queue.nextQueueOffset)
        }
    }
}
