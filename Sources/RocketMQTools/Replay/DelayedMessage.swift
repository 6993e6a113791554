// One message waiting (or once waiting) in SCHEDULE_TOPIC_XXXX, as `replay delayed` lists it.

import RocketMQFormat

public struct DelayedMessage: Sendable {
    public enum State: String, Sendable {
        /// Below the level's progress in delayOffset.json: the broker has delivered it.
        case delivered
        /// Not covered by delayOffset.json, but a delivered copy is in the real topic (a
        /// delivery whose progress was not persisted): delivering it again would duplicate it.
        case deliveredUnrecorded
        /// Its delivery time has passed: the schedule service (or `--apply`) delivers it now.
        case due
        /// Its delivery time is still ahead.
        case waiting
        /// The broker drops it on delivery (REAL_TOPIC is the transaction half topic).
        case discarded
        /// It cannot be delivered (REAL_TOPIC/REAL_QID missing or invalid).
        case invalid
    }

    public var level: Int32
    /// Its offset in the level's consume queue (the record's QUEUEOFFSET).
    public var queueOffset: Int64
    public var physicalOffset: Int64
    public var totalSize: Int32
    public var storeTimestamp: Int64
    /// storeTimestamp + the level's delay: the consume queue tagsCode.
    public var deliverTimestamp: Int64
    public var realTopic: String?
    public var realQueueId: Int32?
    public var uniqKey: String?
    public var keys: String?
    public var state: State
    public var reason: String?
    /// Physical offsets of delivered copies found in the real topic.
    public var copies: [Int64] = []
}
