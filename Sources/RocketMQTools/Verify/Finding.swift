// One thing `verify` found: where (file, position, physical offset, queue), what (a stable
// code), how bad (severity), and expected vs found.

public struct Finding: Sendable, Hashable {
    /// How bad a finding is; the worst one decides the verdict.
    public enum Severity: Int, Sendable, Comparable, CaseIterable, CustomStringConvertible {
        /// Worth knowing, nothing to repair (legitimate states, warnings on heuristics).
        case info = 0
        /// Out of step but recoverable without losing messages: torn tail after a crash, consume
        /// queue or index behind/ahead of the log, missing checkpoint, abort present, bad config.
        case repairable = 1
        /// A file could not be read (I/O error): that part of the store is unchecked.
        case unreadable = 2
        /// Message data damaged: a record in the middle of the log fails its checks.
        case damaged = 3

        public static func < (a: Severity, b: Severity) -> Bool { a.rawValue < b.rawValue }
        public var description: String {
            switch self {
            case .info: "info"
            case .repairable: "repairable"
            case .unreadable: "unreadable"
            case .damaged: "damaged"
            }
        }
    }

    public var severity: Severity
    /// Stable code, e.g. `record.crc-mismatch`, `cq.ahead-of-log`.
    public var code: String
    /// Path relative to the store root (nil for store-wide findings).
    public var file: String?
    /// Byte position in `file`.
    public var position: Int64?
    /// Global commitlog offset, for findings about a commitlog record or range.
    public var physicalOffset: Int64?
    public var topic: String?
    public var queueId: Int32?
    public var queueOffset: Int64?
    public var expected: String?
    public var found: String?
    public var message: String

    public init(
        _ severity: Severity, _ code: String, file: String? = nil, position: Int64? = nil,
        physicalOffset: Int64? = nil, topic: String? = nil, queueId: Int32? = nil, queueOffset: Int64? = nil,
        expected: String? = nil, found: String? = nil, _ message: String
    ) {
        self.severity = severity
        self.code = code
        self.file = file
        self.position = position
        self.physicalOffset = physicalOffset
        self.topic = topic
        self.queueId = queueId
        self.queueOffset = queueOffset
        self.expected = expected
        self.found = found
        self.message = message
    }
}
