// `PutMessageStatus`: the outcome of a put, with RocketMQ's names.

public enum PutMessageStatus: String, Sendable, Hashable {
    case putOK = "PUT_OK"
    /// Sync flush: appended, but the force did not finish within `syncFlushTimeout`.
    case flushDiskTimeout = "FLUSH_DISK_TIMEOUT"
    /// Rejected: bad topic, record too large, batch with a delay or a transaction type…
    case messageIllegal = "MESSAGE_ILLEGAL"
    case propertiesSizeExceeded = "PROPERTIES_SIZE_EXCEEDED"
    /// The store is closed or a file could not be created/mapped.
    case serviceNotAvailable = "SERVICE_NOT_AVAILABLE"
    case createMappedFileFailed = "CREATE_MAPEDFILE_FAILED"
    case unknownError = "UNKNOWN_ERROR"

    /// True when the record(s) were appended (PUT_OK or FLUSH_DISK_TIMEOUT).
    public var isAppended: Bool { self == .putOK || self == .flushDiskTimeout }
}
