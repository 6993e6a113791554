// What `replay delayed` finds: every message in SCHEDULE_TOPIC_XXXX with its state, per-level
// totals, and where the recorded progress came from.

import RocketMQFormat

public struct DelayedReport: Sendable {
    public var messages: [DelayedMessage] = []
    public var levels: [DelayedLevelSummary] = []
    /// The progress table the broker would load (the file, or its `.bak`), empty when neither exists.
    public var progress = DelayOffsetTable()
    /// `config/delayOffset.json` or `config/delayOffset.json.bak`; nil when neither was usable.
    public var progressSource: String?
    /// Why the main file was not used, when it was not.
    public var progressProblem: String?
    /// The time states were computed against (ms since the epoch).
    public var now: Int64 = 0

    /// The levels' next offsets once `selected` messages are delivered: a level's progress moves
    /// over every message that is finished (delivered, recorded or not, dropped, undeliverable or
    /// selected) up to the first one that is still waiting, as the broker's loop does.
    public func progressAfterDelivering(_ selected: Set<Int64>) -> DelayOffsetTable {
        var table = progress
        for summary in levels {
            var next = progress.offsetTable[summary.level] ?? 0
            let queue = messages.filter { $0.level == summary.level && $0.queueOffset >= next }
                .sorted { $0.queueOffset < $1.queueOffset }
            for message in queue {
                guard message.queueOffset == next else { break }  // a gap: the unit is not in the log
                let finished: Bool
                switch message.state {
                case .delivered, .deliveredUnrecorded, .discarded, .invalid: finished = true
                case .due, .waiting: finished = selected.contains(message.physicalOffset)
                }
                guard finished else { break }
                next += 1
            }
            if next != (progress.offsetTable[summary.level] ?? 0) || progress.offsetTable[summary.level] != nil {
                table.offsetTable[summary.level] = next
            }
        }
        return table
    }
}
