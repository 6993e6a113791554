// Which scheduled messages `replay delayed --apply` delivers, and the progress it records after.

import RocketMQFormat

public struct DelayedDeliveryPlan: Sendable {
    /// Which messages to deliver: by default those due now; `all` adds the waiting ones; `level`
    /// and `until` (a delivery time bound, ms) narrow the choice.
    public struct Selection: Sendable {
        public var all = false
        public var level: Int32?
        public var until: Int64?
        public init(all: Bool = false, level: Int32? = nil, until: Int64? = nil) {
            self.all = all
            self.level = level
            self.until = until
        }
    }

    /// In delivery order: level by level, queue offset ascending (the broker's per-level loops).
    public var deliveries: [DelayedMessage]
    /// delayOffset.json after the deliveries (and after skipping what is already finished).
    public var progress: DelayOffsetTable
    /// The progress before, as loaded.
    public var previousProgress: DelayOffsetTable

    public var changesProgress: Bool { progress != previousProgress }
    public var isEmpty: Bool { deliveries.isEmpty && !changesProgress }

    public init(_ report: DelayedReport, selection: Selection) {
        deliveries = report.messages.filter { message in
            // Due messages always qualify; waiting ones with --all, or with --until when their
            // delivery time is within it (delivering early is what the operator asks for).
            switch message.state {
            case .due: break
            case .waiting:
                if let until = selection.until {
                    if message.deliverTimestamp > until { return false }
                } else if !selection.all {
                    return false
                }
            default: return false
            }
            if let level = selection.level, message.level != level { return false }
            return true
        }.sorted { ($0.level, $0.queueOffset) < ($1.level, $1.queueOffset) }
        previousProgress = report.progress
        progress = report.progressAfterDelivering(Set(deliveries.map(\.physicalOffset)))
    }
}
