// What the reput service hands to the dispatchers for one commitlog record
// (`DispatchRequest` as `checkMessageAndReturnSize` builds it, FORMAT.md §11.3), and the rules
// of which records get a consume queue unit (§7.2) and which get index entries (§8.4).

import RocketMQFormat

public struct DispatchRequest: Sendable, Hashable {
    public var topic: String
    public var queueId: Int32
    /// The record's PHYSICALOFFSET field, as the broker dispatches it.
    public var commitLogOffset: Int64
    public var msgSize: Int32
    public var tagsCode: Int64
    public var storeTimestamp: Int64
    /// The record's QUEUEOFFSET (the consume queue offset its unit goes to).
    public var consumeQueueOffset: Int64
    /// KEYS ("" when absent, as the broker's check yields it).
    public var keys: String
    public var uniqKey: String?
    public var sysFlag: Int32
    public var preparedTransactionOffset: Int64

    public init(
        topic: String, queueId: Int32, commitLogOffset: Int64, msgSize: Int32, tagsCode: Int64,
        storeTimestamp: Int64, consumeQueueOffset: Int64, keys: String = "", uniqKey: String? = nil,
        sysFlag: Int32 = 0, preparedTransactionOffset: Int64 = 0
    ) {
        self.topic = topic
        self.queueId = queueId
        self.commitLogOffset = commitLogOffset
        self.msgSize = msgSize
        self.tagsCode = tagsCode
        self.storeTimestamp = storeTimestamp
        self.consumeQueueOffset = consumeQueueOffset
        self.keys = keys
        self.uniqKey = uniqKey
        self.sysFlag = sysFlag
        self.preparedTransactionOffset = preparedTransactionOffset
    }

    /// The request for a decoded record (the view must be complete; a failed check is the
    /// caller's concern). tagsCode follows §7.1, including the delivery time of delayed records.
    public init(_ view: MessageRecordView, delayLevels: DelayLevelTable = .default) {
        self.init(
            topic: view.topic, queueId: view.queueId, commitLogOffset: view.physicalOffset,
            msgSize: view.totalSize, tagsCode: view.tagsCode(delayLevels: delayLevels),
            storeTimestamp: view.storeTimestamp, consumeQueueOffset: view.queueOffset,
            keys: view.keys ?? "", uniqKey: view.uniqueKey, sysFlag: view.sysFlag,
            preparedTransactionOffset: view.preparedTransactionOffset)
    }

    public var transactionType: TransactionType { MessageSysFlag(rawValue: sysFlag).transactionType }

    /// §7.2: only NOT and COMMIT records get a consume queue unit.
    public var buildsConsumeQueueUnit: Bool { transactionType.isDispatchedToConsumeQueue }

    /// §8.4: every type but ROLLBACK is indexed.
    public var isIndexed: Bool { transactionType != .rollback }

    /// The index keys (without the topic): UNIQ_KEY first, then each non-empty KEYS token.
    public var indexKeys: [String] {
        var result: [String] = []
        if let uniqKey { result.append(uniqKey) }
        if !keys.isEmpty { result.append(contentsOf: keys.split(separator: " ", omittingEmptySubsequences: true).map(String.init)) }
        return result
    }
}
