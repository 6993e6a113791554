// The queue reads of 4.9.8's `DefaultMessageStore` (`getMessage`, `getOffsetInQueueByTime`),
// written once over two lookups (a consume queue unit by queue offset, a record by physical
// offset) so that the engine and the read-only `StoreReader` answer alike: only where the
// units and records come from differs.

import RocketMQFormat

public enum QueueReadAlgorithm {
    /// The tags a subscription keeps: nil (everything) for no tags, "*" or an empty tag.
    public static func tagFilter(_ tags: Set<String>?) -> Set<String>? {
        tags.flatMap { $0.contains("*") || $0.isEmpty ? nil : $0 }
    }

    /// Whether `record` passes `filter` by its TAGS (nil = no filter). The caller has already
    /// matched the unit's tagsCode; this confirms it, since Java string hashes collide.
    public static func passes(_ record: MessageRecordView, filter: Set<String>?) -> Bool {
        guard let filter else { return true }
        return record.property("TAGS").map { filter.contains($0) } ?? false
    }

    /// `getMessage`: units of one queue from `offset`, at most `maxCount` matching ones.
    /// `unit` returns the unit at a queue offset (nil past what can be read); `confirm` looks
    /// the unit's record up and says whether it passes the filter (`passes`), or nil when no
    /// readable record is there (the broker's MESSAGE_WAS_REMOVING case).
    public static func getMessage(
        offset: Int64, maxCount: Int, tags: Set<String>?, minOffset: Int64, maxOffset: Int64,
        unit: (Int64) -> ConsumeQueueUnit?, confirm: (_ queueOffset: Int64, ConsumeQueueUnit, _ filter: Set<String>?) -> Bool?
    ) -> GetMessageResult {
        func answer(_ status: GetMessageStatus, _ next: Int64) -> GetMessageResult {
            GetMessageResult(status: status, messages: [], nextBeginOffset: next, minOffset: minOffset, maxOffset: maxOffset)
        }
        if maxOffset == 0 { return answer(.noMessageInQueue, 0) }
        if offset < minOffset { return answer(.offsetTooSmall, minOffset) }
        if offset == maxOffset { return answer(.offsetOverflowOne, offset) }
        if offset > maxOffset { return answer(.offsetOverflowBadly, minOffset == 0 ? minOffset : maxOffset) }

        let filter = tagFilter(tags)
        let codes = Set((filter ?? []).map { Int64(JavaString.hashCode($0)) })
        var messages: [GetMessageResult.Message] = []
        var next = offset
        var removing = false
        // Like the broker, read at most a bounded number of units per call.
        let scanLimit = max(maxCount, 1) * 16 + 800
        var scanned = 0
        while next < maxOffset && messages.count < maxCount && scanned < scanLimit {
            guard let found = unit(next) else { break }
            scanned += 1
            defer { next += 1 }
            guard found.isValid, !found.isPreBlank else { continue }
            if filter != nil, !codes.contains(found.tagsCode) { continue }
            guard let confirmed = confirm(next, found, filter) else {
                removing = true
                continue
            }
            guard confirmed else { continue }
            messages.append(.init(queueOffset: next, physicalOffset: found.physicalOffset, size: found.size, tagsCode: found.tagsCode))
        }
        let status: GetMessageStatus = !messages.isEmpty ? .found : (removing ? .messageWasRemoving : .noMatchedMessage)
        return GetMessageResult(status: status, messages: messages, nextBeginOffset: next, minOffset: minOffset, maxOffset: maxOffset)
    }

    /// `getOffsetInQueueByTime`: the first queue offset in [minOffset, maxOffset) whose record
    /// was stored at or after `timestamp` (binary search by STORETIMESTAMP; an unreadable unit
    /// counts as not older); maxOffset when all are older.
    public static func offset(byTime timestamp: Int64, minOffset: Int64, maxOffset: Int64,
                              storeTimestamp: (Int64) -> Int64?) -> Int64 {
        var low = minOffset, high = maxOffset
        while low < high {
            let middle = low + (high - low) / 2
            if let time = storeTimestamp(middle), time < timestamp { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
