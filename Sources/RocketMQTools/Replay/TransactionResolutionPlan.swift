// What `replay transactions --apply --commit|--rollback` writes, as the broker's end-transaction
// path would (FORMAT.md §13.2): for a half message, commit = the real message re-put + an op
// marker, rollback = the op marker alone; for a legacy PREPARED record, a COMMIT or ROLLBACK
// record pointing at it (§13.1). A committed transaction whose op marker is missing (a cut
// between the two puts) gets just the marker.

public struct TransactionResolutionPlan: Sendable {
    public enum Action: String, Sendable { case commit, rollback }

    public struct Selection: Sendable {
        public var action: Action
        /// Only transactions born at least this long ago (ms).
        public var olderThan: Int64?
        public var producerGroup: String?
        /// Only the transaction with a half copy (or legacy prepared record) at this physical offset.
        public var offset: Int64?
        public init(action: Action, olderThan: Int64? = nil, producerGroup: String? = nil, offset: Int64? = nil) {
            self.action = action
            self.olderThan = olderThan
            self.producerGroup = producerGroup
            self.offset = offset
        }

        func matches(_ transaction: TransactionState) -> Bool {
            if let olderThan, transaction.ageMillis < olderThan { return false }
            if let producerGroup, transaction.producerGroup != producerGroup { return false }
            if let offset, !transaction.halves.contains(where: { $0.physicalOffset == offset }) { return false }
            return true
        }
    }

    public enum Write: Sendable, Equatable {
        /// The real message rebuilt from the half copy at this physical offset.
        case commitRecord(halfPhysicalOffset: Int64)
        /// An op marker naming this half queue offset.
        case opRecord(halfQueueOffset: Int64, halfQueueId: Int32, halfPhysicalOffset: Int64)
        /// A legacy COMMIT or ROLLBACK record for the PREPARED record at this offset.
        case legacyEnd(preparedPhysicalOffset: Int64, commit: Bool)
    }

    public struct Step: Sendable {
        public var transaction: TransactionState
        public var resultingState: TransactionState.State
        public var writes: [Write]
    }

    public var steps: [Step] = []
    public var isEmpty: Bool { steps.isEmpty }

    public init(_ report: TransactionReport, selection: Selection) {
        for transaction in report.transactions where selection.matches(transaction) {
            // The copy the check service last sent to the producer: the one the broker resolves.
            let latest = transaction.halves.max { $0.queueOffset < $1.queueOffset }!
            switch (transaction.model, transaction.state) {
            case ("half", .pending):
                var writes: [Write] = []
                if selection.action == .commit { writes.append(.commitRecord(halfPhysicalOffset: latest.physicalOffset)) }
                writes.append(.opRecord(halfQueueOffset: latest.queueOffset, halfQueueId: transaction.halfQueueId,
                                        halfPhysicalOffset: latest.physicalOffset))
                steps.append(Step(transaction: transaction,
                                  resultingState: selection.action == .commit ? .committed : .rolledBack, writes: writes))
            case ("half", .committed) where transaction.opMissing:
                steps.append(Step(transaction: transaction, resultingState: .committed, writes: [
                    .opRecord(halfQueueOffset: latest.queueOffset, halfQueueId: transaction.halfQueueId,
                              halfPhysicalOffset: latest.physicalOffset),
                ]))
            case ("legacy", .pending):
                steps.append(Step(
                    transaction: transaction, resultingState: selection.action == .commit ? .committed : .rolledBack,
                    writes: [.legacyEnd(preparedPhysicalOffset: latest.physicalOffset, commit: selection.action == .commit)]))
            default:
                continue
            }
        }
    }
}
