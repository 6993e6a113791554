// `GetMessageStatus`: why a queue read returned what it did.

public enum GetMessageStatus: String, Sendable, Hashable {
    case found = "FOUND"
    /// Units were read but none matched the tag filter.
    case noMatchedMessage = "NO_MATCHED_MESSAGE"
    /// The queue does not exist.
    case noMatchedLogicQueue = "NO_MATCHED_LOGIC_QUEUE"
    /// The queue exists but holds no units.
    case noMessageInQueue = "NO_MESSAGE_IN_QUEUE"
    /// offset < min offset.
    case offsetTooSmall = "OFFSET_TOO_SMALL"
    /// offset == max offset (nothing new yet).
    case offsetOverflowOne = "OFFSET_OVERFLOW_ONE"
    /// offset > max offset.
    case offsetOverflowBadly = "OFFSET_OVERFLOW_BADLY"
    /// A unit points at a commitlog position that no longer holds a record.
    case messageWasRemoving = "MESSAGE_WAS_REMOVING"
}
