// A batch put (`MessageExtBatch`, FORMAT.md §14.1): messages sharing topic, queue, sysFlag,
// born and store fields; each becomes its own commitlog record with consecutive queue offsets,
// one store timestamp, and never spans files.

import RocketMQFormat

public struct MessageBatch: Sendable, Hashable {
    public struct Item: Sendable, Hashable {
        public var flag: Int32
        public var body: [UInt8]
        /// The inner message's properties string, as the client encoded it.
        public var properties: [UInt8]

        public init(flag: Int32 = 0, body: [UInt8], properties: [UInt8] = []) {
            self.flag = flag
            self.body = body
            self.properties = properties
        }
    }

    public var topic: [UInt8]
    public var queueId: Int32
    public var sysFlag: Int32
    public var bornTimestamp: Int64
    public var bornHost: HostAddress
    public var storeHost: HostAddress
    public var reconsumeTimes: Int32
    /// The batch's own properties string (e.g. WAIT, CLUSTER), appended to each inner one.
    public var properties: [UInt8]
    public var items: [Item]

    public init(
        topic: String, queueId: Int32, sysFlag: Int32 = 0, bornTimestamp: Int64, bornHost: HostAddress,
        storeHost: HostAddress, reconsumeTimes: Int32 = 0, properties: [UInt8] = [], items: [Item]
    ) {
        self.topic = Array(topic.utf8)
        self.queueId = queueId
        self.sysFlag = sysFlag
        self.bornTimestamp = bornTimestamp
        self.bornHost = bornHost
        self.storeHost = storeHost
        self.reconsumeTimes = reconsumeTimes
        self.properties = properties
        self.items = items
    }

    /// The records the batch encoder builds (`MessageExtBatchEncoder`): properties = inner +
    /// 0x02 (when both are non-empty and the inner does not end with 0x02) + batch properties.
    public func records() -> [MessageRecord] {
        items.map { item in
            var properties = item.properties
            if !item.properties.isEmpty && !self.properties.isEmpty && item.properties.last != MessageProperties.propertySeparator {
                properties.append(MessageProperties.propertySeparator)
            }
            properties.append(contentsOf: self.properties)
            var record = MessageRecord(
                queueId: queueId, flag: item.flag, sysFlag: sysFlag, bornTimestamp: bornTimestamp, bornHost: bornHost,
                storeHost: storeHost, reconsumeTimes: reconsumeTimes, body: item.body, topic: "", properties: properties)
            record.topic = topic
            return record
        }
    }
}
