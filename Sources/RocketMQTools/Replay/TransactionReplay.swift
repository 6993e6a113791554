// `replay transactions --apply --commit|--rollback`: resolves the selected transactions as the
// broker's end-transaction path does (FORMAT.md §13.2): commit = the real message re-put, then
// the op marker; rollback = the op marker. Legacy PREPARED records get a COMMIT or ROLLBACK record.
//
// Idempotent, also across a kill: the plan comes from a fresh scan under the lock; a half whose
// commit record exists is committed (only a missing op marker is written), one with an op
// marker is resolved and left alone.

import RocketMQFormat
import RocketMQStore

public enum TransactionReplay {
    public struct Outcome: Sendable {
        public var plan: TransactionResolutionPlan
        public var written: [ReplayedRecord]
    }

    /// `brokerHost`: the born/store host of op records (the broker's own address); nil takes
    /// the half record's store host.
    public static func apply(
        root: String, config: MessageStoreConfig, now: Int64, selection: TransactionResolutionPlan.Selection,
        brokerHost: HostAddress? = nil
    ) throws -> Outcome {
        let session = try ReplaySession(root: root, config: config)
        let plan: TransactionResolutionPlan
        do {
            let report = try TransactionScan.scan(try StoreLayout.discover(root), now: now)
            plan = TransactionResolutionPlan(report, selection: selection)
            for step in plan.steps {
                for write in step.writes { try perform(write, session: session, now: now, brokerHost: brokerHost) }
            }
        } catch {
            try? session.finish()
            throw error
        }
        try session.finish()
        return Outcome(plan: plan, written: session.written)
    }

    private static func perform(
        _ write: TransactionResolutionPlan.Write, session: ReplaySession, now: Int64, brokerHost: HostAddress?
    ) throws {
        switch write {
        case .commitRecord(let half):
            let record = try session.withRecord(at: half) { view throws(StoreError) in
                do { return try TransactionRecords.commitRecord(fromHalf: view) } catch {
                    throw StoreError(.badData, path: "commitlog", offset: half, "half message: \(error)")
                }
            }
            _ = try session.append(record, kind: "commit", source: half)
        case .opRecord(let halfQueueOffset, let halfQueueId, let half):
            let host = try brokerHost ?? session.withRecord(at: half) { view throws(StoreError) in
                guard let host = view.storeHost else {
                    throw StoreError(.badData, path: "commitlog", offset: half, "half message store host")
                }
                return host
            }
            let record = TransactionRecords.opRecord(
                halfQueueOffset: halfQueueOffset, halfQueueId: halfQueueId, brokerHost: host, timestamp: now)
            _ = try session.append(record, kind: "op", source: half)
        case .legacyEnd(let prepared, let commit):
            let record = try session.withRecord(at: prepared) { view throws(StoreError) in
                do { return try TransactionRecords.legacyEndRecord(forPrepared: view, commit: commit) } catch {
                    throw StoreError(.badData, path: "commitlog", offset: prepared, "prepared message: \(error)")
                }
            }
            _ = try session.append(record, kind: commit ? "legacyCommit" : "legacyRollback", source: prepared)
        }
    }
}
