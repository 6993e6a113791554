// The verdict classes of `verify` and their exit statuses.

public enum VerifyVerdict: String, Sendable, Comparable {
    /// No finding above info: exit 0.
    case clean
    /// Only repairable findings: exit 1.
    case repairable
    /// Some file could not be read (and nothing damaged was found elsewhere): exit 74.
    case unreadable
    /// Message data damaged: exit 65 (wins over unreadable: what was read is known bad).
    case damaged

    public init(worst: Finding.Severity?) {
        switch worst {
        case nil, .info?: self = .clean
        case .repairable?: self = .repairable
        case .unreadable?: self = .unreadable
        case .damaged?: self = .damaged
        }
    }

    public var exitCode: Int32 {
        switch self {
        case .clean: 0
        case .repairable: 1
        case .unreadable: 74
        case .damaged: 65
        }
    }

    private var rank: Int {
        switch self {
        case .clean: 0
        case .repairable: 1
        case .unreadable: 2
        case .damaged: 3
        }
    }

    public static func < (a: VerifyVerdict, b: VerifyVerdict) -> Bool { a.rank < b.rank }
}
