// `messageDelayLevel`: "1s 5s 10s …" → delay in ms per level (FORMAT.md §12.1).

public struct DelayLevelTable: Sendable, Hashable {
    public static let defaultLevels = "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h"
    public static let `default` = DelayLevelTable(parsing: defaultLevels)!

    /// delays[level - 1] in milliseconds.
    public let delays: [Int64]

    public init?(parsing text: String) {
        var delays: [Int64] = []
        for token in text.split(separator: " ", omittingEmptySubsequences: false) {
            guard let unit = token.last, token.count >= 2, let count = Int64(token.dropLast()) else { return nil }
            let factor: Int64
            switch unit {
            case "s": factor = 1000
            case "m": factor = 60_000
            case "h": factor = 3_600_000
            case "d": factor = 86_400_000
            default: return nil
            }
            // Java computes `tu * num` in a long and wraps on overflow; so do we (a huge level
            // in a broker config must not trap the tool reading it).
            delays.append(count &* factor)
        }
        guard !delays.isEmpty else { return nil }
        self.delays = delays
    }

    public var maxLevel: Int32 { Int32(delays.count) }

    /// `computeDeliverTimestamp`: store time + the level's delay (+1000 for an unknown level).
    public func deliverTimestamp(level: Int32, storeTimestamp: Int64) -> Int64 {
        guard level >= 1, level <= maxLevel else { return storeTimestamp &+ 1000 }
        return storeTimestamp &+ delays[Int(level) - 1]
    }

    public func delay(level: Int32) -> Int64? {
        guard level >= 1, level <= maxLevel else { return nil }
        return delays[Int(level) - 1]
    }

    public static let scheduleTopic = "SCHEDULE_TOPIC_XXXX"
}
