// Reads the delayed-message state of a store in one commitlog pass (FORMAT.md §12): the records
// of SCHEDULE_TOPIC_XXXX and the delivered copies in real topics, checked against the progress
// in config/delayOffset.json (or its .bak, as the broker falls back). Read-only.
//
// The commitlog, not the consume queue, is the source: a store that needs this tool often has
// damaged or missing queues, and each scheduled record's QUEUEOFFSET is its consume queue offset.

import RocketMQFormat
import RocketMQStore

public enum DelayedScan {
    public static func scan(
        _ layout: StoreLayout, now: Int64, delayLevels: DelayLevelTable = .default
    ) throws -> DelayedReport {
        var report = DelayedReport()
        report.now = now
        if let loaded = try ConfigFileLoader.load("delayOffset.json", in: layout) {
            do {
                report.progress = try loaded.bytes.withUnsafeBytes { raw throws(FormatError) in
                    try DelayOffsetTable(decoding: raw)
                }
                report.progressSource = loaded.source
                report.progressProblem = loaded.problem
            } catch {
                report.progressProblem = "\(loaded.source): \(error)"
            }
        } else {
            report.progressProblem = "config/delayOffset.json and its .bak are missing: the broker starts every level at 0"
        }

        var messages: [DelayedMessage] = []
        var bySource: [RecordFingerprint: Int] = [:]
        try CommitLogWalker(layout: layout).walk { event in
            guard case .message(_, let record) = event, record.check.success else { return .proceed }
            if record.isScheduleTopic {
                bySource[RecordFingerprint(record)] = messages.count
                messages.append(describe(record, delayLevels: delayLevels))
            } else if record.propertiesLength > 0, record.propertyBytes("DELAY") != nil,
                      let realTopic = record.propertyBytes("REAL_TOPIC"),
                      realTopic.elementsEqual(record.topicBytes),
                      let index = bySource[RecordFingerprint(record)] {
                messages[index].copies.append(record.physicalOffset)
            }
            return .proceed
        }

        var levels: [Int32: DelayedLevelSummary] = [:]
        for (level, _) in report.progress.offsetTable {
            levels[level] = DelayedLevelSummary(level: level, delayMillis: delayLevels.delay(level: level),
                                                progress: report.progress.offsetTable[level])
        }
        for index in messages.indices {
            let level = messages[index].level
            var summary = levels[level] ?? DelayedLevelSummary(
                level: level, delayMillis: delayLevels.delay(level: level), progress: report.progress.offsetTable[level])
            classify(&messages[index], progress: summary.progress ?? 0, now: now, delayLevels: delayLevels)
            summary.maxQueueOffset = max(summary.maxQueueOffset, messages[index].queueOffset + 1)
            summary.messages += 1
            switch messages[index].state {
            case .delivered: summary.delivered += 1
            case .deliveredUnrecorded: summary.deliveredUnrecorded += 1
            case .due: summary.due += 1
            case .waiting: summary.waiting += 1
            case .discarded: summary.discarded += 1
            case .invalid: summary.invalid += 1
            }
            summary.duplicateDeliveries += max(0, messages[index].copies.count - 1)
            levels[level] = summary
        }
        report.messages = messages
        report.levels = levels.values.sorted { $0.level < $1.level }
        return report
    }

    private static func describe(_ record: MessageRecordView, delayLevels: DelayLevelTable) -> DelayedMessage {
        let level = ScheduledDelivery.level(queueId: record.queueId)
        var message = DelayedMessage(
            level: level, queueOffset: record.queueOffset, physicalOffset: record.physicalOffset,
            totalSize: record.totalSize, storeTimestamp: record.storeTimestamp,
            deliverTimestamp: delayLevels.deliverTimestamp(level: level, storeTimestamp: record.storeTimestamp),
            realTopic: record.property("REAL_TOPIC"),
            realQueueId: record.property("REAL_QID").flatMap(JavaString.parseInt),
            uniqKey: record.uniqueKey, keys: record.property("KEYS"), state: .waiting)
        switch ScheduledDelivery.outcome(for: record) {
        case .deliver: break
        case .discard(let reason):
            message.state = .discarded
            message.reason = reason
        case .invalid(let reason):
            message.state = .invalid
            message.reason = reason
        }
        if delayLevels.delay(level: level) == nil {
            message.state = .invalid
            message.reason = "level \(level) is beyond messageDelayLevel (\(delayLevels.maxLevel) levels): no loop delivers it"
        }
        return message
    }

    /// The broker delivers a unit when its time has come, or at once when the time is further
    /// ahead than the level's delay (clock-skew correction, §12.2).
    private static func classify(_ message: inout DelayedMessage, progress: Int64, now: Int64, delayLevels: DelayLevelTable) {
        if message.queueOffset < progress {
            message.state = .delivered
            return
        }
        if !message.copies.isEmpty {
            message.state = .deliveredUnrecorded
            return
        }
        guard message.state == .waiting else { return }
        let delay = delayLevels.delay(level: message.level) ?? 0
        if message.deliverTimestamp <= now || message.deliverTimestamp > now + delay {
            message.state = .due
        }
    }
}
