// Reads the transactional state of a store in one commitlog pass (FORMAT.md §13):
// half records in RMQ_SYS_TRANS_HALF_TOPIC (grouped by UNIQ_KEY: the check service writes
// copies back), the half offsets named by op records in RMQ_SYS_TRANS_OP_HALF_TOPIC (one decimal,
// or comma-joined in 5.x), commit records pointing at a half through PREPARED TRANSACTION
// OFFSET, copies given up on in TRANS_CHECK_MAX_TIME_TOPIC, and the legacy sysflag model's
// PREPARED / COMMIT / ROLLBACK records. Read-only.

import RocketMQFormat
import RocketMQStore

public enum TransactionScan {
    private struct Half {
        var uniqKey: String?
        var producerGroup: String?
        var realTopic: String?
        var realQueueId: Int32?
        var bornTimestamp: Int64
        var queueId: Int32
        var copies: [TransactionState.HalfCopy]
    }

    public static func scan(_ layout: StoreLayout, now: Int64) throws -> TransactionReport {
        var halves: [Half] = []
        var halfByKey: [String: Int] = [:]
        var opByHalfOffset: [Int64: Int64] = [:]
        var commitsByPrepared: [Int64: Int64] = [:]
        var rollbacksByPrepared: [Int64: Int64] = [:]
        var discardedKeys: Set<String> = []
        var legacy: [(record: TransactionState, physicalOffset: Int64)] = []

        try CommitLogWalker(layout: layout).walk { event in
            guard case .message(_, let record) = event, record.check.success else { return .proceed }
            let topic = record.topicBytes
            switch record.transactionType {
            case .prepared:
                legacy.append((legacyState(record, now: now), record.physicalOffset))
                return .proceed
            case .commit:
                commitsByPrepared[record.preparedTransactionOffset] = record.physicalOffset
                return .proceed
            case .rollback:
                rollbacksByPrepared[record.preparedTransactionOffset] = record.physicalOffset
                return .proceed
            case .notType:
                break
            }
            if topic.elementsEqual(TransactionRecords.halfTopic.utf8) {
                let copy = TransactionState.HalfCopy(
                    queueOffset: record.queueOffset, physicalOffset: record.physicalOffset,
                    storeTimestamp: record.storeTimestamp,
                    preparedQueueOffset: record.property("TRAN_PREPARED_QUEUE_OFFSET").flatMap(JavaString.parseLong),
                    checkTimes: record.property("TRANSACTION_CHECK_TIMES").flatMap(JavaString.parseInt) ?? 0)
                let key = record.uniqueKey
                if let key, let existing = halfByKey[key] {
                    halves[existing].copies.append(copy)
                } else {
                    halves.append(Half(
                        uniqKey: key, producerGroup: record.property("PGROUP"), realTopic: record.property("REAL_TOPIC"),
                        realQueueId: record.property("REAL_QID").flatMap(JavaString.parseInt),
                        bornTimestamp: record.bornTimestamp, queueId: record.queueId, copies: [copy]))
                    if let key { halfByKey[key] = halves.count - 1 }
                }
            } else if topic.elementsEqual(TransactionRecords.opTopic.utf8) {
                for offset in TransactionRecords.opOffsets(body: record.body) where opByHalfOffset[offset] == nil {
                    opByHalfOffset[offset] = record.physicalOffset
                }
            } else if topic.elementsEqual(TransactionRecords.checkMaxTimeTopic.utf8), let key = record.uniqueKey {
                discardedKeys.insert(key)
            }
            return .proceed
        }

        var report = TransactionReport()
        report.now = now
        var namedHalves: Set<Int64> = []
        var matchedCommits: Set<Int64> = []
        for half in halves {
            var state = TransactionState(
                model: "half", state: .pending, uniqKey: half.uniqKey, producerGroup: half.producerGroup,
                realTopic: half.realTopic, realQueueId: half.realQueueId, bornTimestamp: half.bornTimestamp,
                ageMillis: now - half.bornTimestamp, checkCount: half.copies.map(\.checkTimes).max() ?? 0,
                halves: half.copies)
            state.halfQueueId = half.queueId
            // Resolved when an op names any copy, or the offset a copy renews (§13.3 step 3).
            for copy in half.copies {
                for offset in [copy.queueOffset, copy.preparedQueueOffset].compactMap({ $0 }) {
                    if let op = opByHalfOffset[offset], state.resolvedBy == nil { state.resolvedBy = op }
                    namedHalves.insert(offset)
                }
                if let commit = commitsByPrepared[copy.physicalOffset], state.commitPhysicalOffset == nil {
                    state.commitPhysicalOffset = commit
                    matchedCommits.insert(copy.physicalOffset)
                }
            }
            if state.commitPhysicalOffset != nil {
                state.state = .committed
                state.opMissing = state.resolvedBy == nil
            } else if state.resolvedBy != nil {
                state.state = .rolledBack
            } else if let key = half.uniqKey, discardedKeys.contains(key) {
                state.state = .discarded
            }
            report.transactions.append(state)
        }
        for (prepared, physicalOffset) in legacy {
            var state = prepared
            if let commit = commitsByPrepared[physicalOffset] {
                state.state = .committed
                state.commitPhysicalOffset = commit
                state.resolvedBy = commit
                matchedCommits.insert(physicalOffset)
            } else if let rollback = rollbacksByPrepared[physicalOffset] {
                state.state = .rolledBack
                state.resolvedBy = rollback
            }
            report.transactions.append(state)
        }
        report.danglingOpOffsets = opByHalfOffset.keys.filter { !namedHalves.contains($0) }.sorted()
        report.danglingCommits = commitsByPrepared.filter { !matchedCommits.contains($0.key) }.map(\.value).sorted()
        return report
    }

    private static func legacyState(_ record: MessageRecordView, now: Int64) -> TransactionState {
        TransactionState(
            model: "legacy", state: .pending, uniqKey: record.uniqueKey, producerGroup: record.property("PGROUP"),
            realTopic: record.topic, realQueueId: record.queueId, bornTimestamp: record.bornTimestamp,
            ageMillis: now - record.bornTimestamp, checkCount: 0,
            halves: [TransactionState.HalfCopy(
                queueOffset: record.queueOffset, physicalOffset: record.physicalOffset,
                storeTimestamp: record.storeTimestamp, preparedQueueOffset: nil, checkTimes: 0)])
    }
}
