// `messageDelayLevel`: "1s 5s 10s …" → delay in ms per level (FORMAT.md §12.1).

public struct DelayLevelTable: Sendable, Hashable {
    public static let defaultLevels = "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h"
    public static let `default` = DelayLevelTable(parsing: defaultLevels)!

    /// delays[level - 1] in milliseconds.
    public let delays: [Int64]

    public init?(parsing text: String) {
        // Java's `split(" ")` splits at every space char, so split the UTF-8 bytes (a Character
        // split would also walk grapheme clusters), token by token: a bad token ends the parse
        // without splitting the rest of a long text first.
        var delays: [Int64] = []
        let utf8 = text.utf8
        var start = utf8.startIndex
        while true {
            let end = utf8[start...].firstIndex(of: UInt8(ascii: " ")) ?? utf8.endIndex
            guard let delay = Self.delay(token: utf8[start..<end]) else { return nil }
            delays.append(delay)
            guard end != utf8.endIndex else { break }
            start = utf8.index(after: end)
        }
        self.delays = delays
    }

    /// One `<count><unit>` token (`1s`, `10m`, `2h`, `1d`) in milliseconds.
    private static func delay(token: Substring.UTF8View) -> Int64? {
        guard token.count >= 2, let unit = token.last, let count = Int64(Substring(token.dropLast())) else { return nil }
        let factor: Int64
        switch unit {
        case UInt8(ascii: "s"): factor = 1000
        case UInt8(ascii: "m"): factor = 60_000
        case UInt8(ascii: "h"): factor = 3_600_000
        case UInt8(ascii: "d"): factor = 86_400_000
        default: return nil
        }
        // Java computes `tu * num` in a long and wraps on overflow; so do we (a huge level
        // in a broker config must not trap the tool reading it).
        return count &* factor
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
