// Where and why reading a commitlog file stops (no record starts there, or RocketMQ's check fails).

/// Where and why the walk of a file stopped.
public struct WalkStop: Sendable {
    public enum Reason: Sendable {
        case noRecord(EndOfData)
        case checkFailed(StoreCheck)
    }

    public var position: Int
    public var reason: Reason

    public init(position: Int, reason: Reason) {
        self.position = position
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case .noRecord(let end): end.description
        case .checkFailed(let check):
            "record fails the store's check (msgSize=\(check.msgSize)): \(check.failure.map { "\($0)" } ?? "unknown")"
        }
    }
}
