// `replay delayed --apply`: delivers the planned scheduled messages into their real topic and
// queue exactly as RocketMQ's schedule service rebuilds them (FORMAT.md §12.2), then advances
// config/delayOffset.json atomically.
//
// Idempotent, also across a kill: the plan is made under the lock from a fresh scan, and a
// message whose delivered copy is already in the real topic (a delivery whose progress was not
// written) counts as delivered, so it is never delivered twice.

import RocketMQFormat
import RocketMQStore

public enum DelayedReplay {
    public struct Outcome: Sendable {
        public var plan: DelayedDeliveryPlan
        public var delivered: [ReplayedRecord]
        public var journal: RepairJournal?
    }

    /// Plans and applies under the engine; `now` is the clock states are computed against.
    public static func apply(
        root: String, config: MessageStoreConfig, now: Int64, selection: DelayedDeliveryPlan.Selection,
        salvageDirectory: String? = nil
    ) throws -> Outcome {
        let session = try ReplaySession(root: root, config: config)
        var delivered: [ReplayedRecord] = []
        let plan: DelayedDeliveryPlan
        do {
            let layout = try StoreLayout.discover(root)
            let report = try DelayedScan.scan(layout, now: now, delayLevels: config.delayLevels)
            plan = DelayedDeliveryPlan(report, selection: selection)
            for message in plan.deliveries {
                let record = try session.withRecord(at: message.physicalOffset) { view throws(StoreError) in
                    guard case .deliver(let record) = ScheduledDelivery.outcome(for: view) else {
                        throw StoreError(.badData, path: "commitlog", offset: message.physicalOffset,
                                         "expected a deliverable scheduled record")
                    }
                    return record
                }
                delivered.append(try session.append(record, kind: "delivery", source: message.physicalOffset))
            }
        } catch {
            try? session.finish()
            throw error
        }
        try session.finish()
        var changes: [StoreChange] = []
        if plan.changesProgress {
            // As the broker's ConfigManager.persist: the previous content goes to the .bak (its
            // fallback when the file is unreadable), then the new content replaces the file.
            let path = "config/delayOffset.json"
            if let previous = try? FileSystem.readFile(root + "/" + path) {
                let bak = path + ".bak"
                let kind: StoreChange.Kind = FileSystem.exists(root + "/" + bak) ? .replace(contents: previous) : .create(contents: previous)
                changes.append(StoreChange(bak, kind, reason: "the previous progress, kept as the broker keeps it"))
            }
            changes.append(StoreChange(
                path, FileSystem.exists(root + "/" + path) ? .replace(contents: plan.progress.encoded()) : .create(contents: plan.progress.encoded()),
                reason: "delay progress after delivering \(plan.deliveries.count) message(s)"))
        }
        let journal = try ReplaySession.replaceConfig(
            root: root, changes: changes, salvageDirectory: salvageDirectory, command: "replay delayed")
        return Outcome(plan: plan, delivered: delivered, journal: journal)
    }
}
