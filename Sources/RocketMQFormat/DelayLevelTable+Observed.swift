// A delay table corrected by what a store's schedule queues show (FORMAT.md §12).
//
// `messageDelayLevel` is broker configuration, not stored anywhere; but every unit of queue
// L − 1 of SCHEDULE_TOPIC_XXXX carries tagsCode = STORETIMESTAMP + delay(L) (§7.1), so the
// store itself tells the delay of each level it holds messages for.

extension DelayLevelTable {
    /// A table of these delays (ms per level, level 1 first); nil when empty.
    public init?(delays: [Int64]) {
        guard !delays.isEmpty else { return nil }
        self.delays = delays
    }

    /// This table with the observed levels' delays put in, or nil when every observed level
    /// already has its delay here. A level beyond the table extends it; levels in between,
    /// which the store does not show, repeat the last known delay.
    public func adjusted(toObserved observed: [Int32: Int64]) -> DelayLevelTable? {
        let differing = observed.filter { $0.key >= 1 && delay(level: $0.key) != $0.value }
        guard !differing.isEmpty else { return nil }
        var delays = self.delays
        let top = Int(observed.keys.max() ?? 0)
        while delays.count < top { delays.append(delays.last ?? 1000) }
        for (level, value) in observed where level >= 1 { delays[Int(level) - 1] = value }
        return DelayLevelTable(delays: delays)
    }

    /// A delay that a `messageDelayLevel` token can give: positive whole seconds.
    public static func isConfigurable(_ delay: Int64) -> Bool { delay > 0 && delay % 1000 == 0 }

    /// The table as a `messageDelayLevel` value ("1s 5s … 2h"), largest whole unit per level.
    public var text: String {
        delays.map { delay -> String in
            for (unit, size) in [("d", Int64(86_400_000)), ("h", 3_600_000), ("m", 60_000)] where delay % size == 0 && delay != 0 {
                return "\(delay / size)\(unit)"
            }
            return "\(delay / 1000)s"
        }.joined(separator: " ")
    }
}
