import ArgumentParser
import RocketMQFormat
import RocketMQStore
import RocketMQTools

#if canImport(Glibc)
import Glibc
#endif

extension Rmqstore {
    struct Replay: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show, and with --apply move on, delayed and transactional messages stuck in a store.",
            subcommands: [Delayed.self, Transactions.self])
    }
}

/// `--now`: the clock the states are computed against.
struct ReplayClock: ParsableArguments {
    @Option(help: ArgumentHelp("Compute states as of this time (ISO 8601 or ms since the epoch) instead of now.", valueName: "time"))
    var now: String?

    func milliseconds() throws -> Int64 {
        guard let now else {
            var spec = timespec()
            clock_gettime(CLOCK_REALTIME, &spec)
            return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
        }
        guard let value = Timestamp.parse(now) ?? Int64(now) else {
            throw ValidationError("--now: expected an ISO 8601 time or milliseconds since the epoch, found \(now)")
        }
        return value
    }
}

extension Rmqstore.Replay {
    struct Delayed: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List messages waiting in SCHEDULE_TOPIC_XXXX per delay level, with the progress in delayOffset.json.",
            discussion: """
                Reads the commitlog once. Each scheduled message is `delivered` (below its level's progress in \
                config/delayOffset.json, or its .bak when the file is missing or corrupt, as the broker falls \
                back), `deliveredUnrecorded` (a delivered copy is in the real topic although the progress does not \
                cover it: delivering again would duplicate it), `due`, `waiting`, `discarded` (the broker drops \
                it: REAL_TOPIC is the transaction half topic) or `invalid`. Delivery time = store time + the \
                level's delay, as in the consume queue's tagsCode.
                With --format json: one `delayed` line per message, one `level` line per level, a final `progress` line.
                """)

        @OptionGroup var storeArguments: StoreArguments
        @OptionGroup var clock: ReplayClock

        @Option(help: "Output format: text or json (NDJSON).")
        var format: OutputFormat = .text

        func run() throws {
            let layout = try storeArguments.layout()
            let now = try clock.milliseconds()
            let report = try rmqstore.run { try DelayedScan.scan(layout, now: now, delayLevels: storeArguments.options.delayLevels) }
            let sink = LineSink()
            ReplayPrinter(format: format).print(report, into: sink)
            sink.flush()
        }
    }

    struct Transactions: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List transactional messages: committed, rolled back, pending or discarded.",
            discussion: """
                Reads the commitlog once. Half messages in RMQ_SYS_TRANS_HALF_TOPIC are grouped by UNIQ_KEY (the \
                check service writes copies back); a transaction is resolved when an op record in \
                RMQ_SYS_TRANS_OP_HALF_TOPIC names one of its half queue offsets (or the offset a copy renews), \
                committed when a COMMIT record points at one of its halves, rolled back otherwise; `discarded` when \
                the check service gave up on it (TRANS_CHECK_MAX_TIME_TOPIC). Legacy PREPARED records (sysflag \
                model) are committed or rolled back by a COMMIT or ROLLBACK record pointing at them.
                With --format json: one `transaction` line per half (or legacy prepared) message, then a `summary` line.
                """)

        @OptionGroup var storeArguments: StoreArguments
        @OptionGroup var clock: ReplayClock

        @Option(help: "Output format: text or json (NDJSON).")
        var format: OutputFormat = .text

        func run() throws {
            let layout = try storeArguments.layout()
            let now = try clock.milliseconds()
            let report = try rmqstore.run { try TransactionScan.scan(layout, now: now) }
            let sink = LineSink()
            ReplayPrinter(format: format).print(report, into: sink)
            sink.flush()
        }
    }
}
