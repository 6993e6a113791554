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

                With --apply: delivers the due messages (--all: every undelivered one; --until: also those due \
                by TIME; --level: one level) into their real topic and queue as the broker's schedule service \
                rebuilds them (stored property string unchanged, new store time and queue offset, dispatched \
                to consume queue and index), then advances config/delayOffset.json atomically (old file saved \
                with a journal: `rmqstore undo JOURNAL --apply` restores it). Never delivers a message twice: one whose copy is \
                already in the real topic counts as delivered. Refuses a locked store (75) and one not shut \
                down cleanly (`abort` present: run `rmqstore recover` first).
                Exit status: 0 nothing (left) to deliver; 1 dry run with deliveries pending; 64 usage; \
                65 unreadable data; 74 I/O; 75 locked.
                """)

        @OptionGroup var storeArguments: StoreArguments
        @OptionGroup var clock: ReplayClock
        @OptionGroup var mutation: MutationArguments

        @Flag(help: "With --apply: deliver every undelivered message, due or not.")
        var all = false

        @Option(help: "Deliver only this level.")
        var level: Int32?

        @Option(help: ArgumentHelp("Also deliver waiting messages due by this time (ISO 8601 or ms).", valueName: "time"))
        var until: String?

        func validate() throws {
            if let level, level < 1 { throw ValidationError("--level must be 1 or more") }
            if let until, Timestamp.parse(until) == nil && Int64(until) == nil {
                throw ValidationError("--until: expected an ISO 8601 time or milliseconds since the epoch, found \(until)")
            }
        }

        func run() throws {
            let layout = try storeArguments.layout()
            let now = try clock.milliseconds()
            let selection = DelayedDeliveryPlan.Selection(
                all: all, level: level, until: until.flatMap { Timestamp.parse($0) ?? Int64($0) })
            let sink = LineSink()
            defer { sink.flush() }
            if mutation.apply {
                let config = engineConfig(layout)
                let outcome = try rmqstore.run {
                    try DelayedReplay.apply(root: layout.root, config: config, now: now, selection: selection,
                                            salvageDirectory: mutation.salvageDir)
                }
                ReplayPlanPrinter(format: mutation.format).print(outcome.plan, applied: true, into: sink)
                ReplayPlanPrinter(format: mutation.format).print(written: outcome.delivered, journal: outcome.journal, into: sink)
                return
            }
            let report = try rmqstore.run { try DelayedScan.scan(layout, now: now, delayLevels: layout.options.delayLevels) }
            ReplayPrinter(format: mutation.format).print(report, into: sink)
            let plan = DelayedDeliveryPlan(report, selection: selection)
            if mutation.format == .text { sink.writeLine("") }
            ReplayPlanPrinter(format: mutation.format).print(plan, applied: false, into: sink)
            if !plan.isEmpty {
                sink.flush()
                throw ExitCode(1)
            }
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

                With --commit or --rollback, the pending transactions chosen by --older-than, --producer-group \
                and/or --offset are resolved as the broker's end-transaction path does: commit re-puts the real \
                message (sysflag COMMIT, preparedTransactionOffset = the half's offset, the half's property \
                string) and writes the op marker; rollback writes the op marker only; a legacy PREPARED record \
                gets a COMMIT or ROLLBACK record. A committed transaction missing its op marker gets the marker. \
                Nothing is written without --apply. Idempotent: resolved transactions are never touched again.
                Exit status: 0 nothing pending (or all selected resolved); 1 pending transactions or a dry-run \
                plan; 64 usage; 65 unreadable data; 74 I/O; 75 locked.
                """)

        @OptionGroup var storeArguments: StoreArguments
        @OptionGroup var clock: ReplayClock
        @OptionGroup var mutation: MutationArguments

        @Flag(help: "Commit the selected pending transactions.")
        var commit = false

        @Flag(help: "Roll back the selected pending transactions.")
        var rollback = false

        @Option(help: ArgumentHelp("Only transactions born at least this long ago (e.g. 30m, 2h, 3d, or ms).", valueName: "duration"))
        var olderThan: String?

        @Option(help: "Only transactions of this producer group (PGROUP).")
        var producerGroup: String?

        @Option(help: ArgumentHelp("Only the transaction with a half (or legacy prepared) record at this physical offset.", valueName: "offset"))
        var offset: Int64?

        @Option(help: ArgumentHelp("Born/store host of the op records (the broker's address); default: the half's store host.", valueName: "ip:port"))
        var storeHost: String?

        func validate() throws {
            if commit && rollback { throw ValidationError("--commit and --rollback exclude each other") }
            if (commit || rollback) && olderThan == nil && producerGroup == nil && offset == nil {
                throw ValidationError("--commit/--rollback need a selection: --older-than, --producer-group or --offset")
            }
            if mutation.apply && !(commit || rollback) { throw ValidationError("--apply needs --commit or --rollback") }
            if let olderThan, Self.milliseconds(olderThan) == nil {
                throw ValidationError("--older-than: expected a duration like 30s, 10m, 2h, 3d or milliseconds, found \(olderThan)")
            }
            if let storeHost, HostAddress(parsing: storeHost) == nil {
                throw ValidationError("--store-host: expected ip:port, found \(storeHost)")
            }
        }

        static func milliseconds(_ text: String) -> Int64? {
            if let plain = Int64(text), plain >= 0 { return plain }
            guard let unit = text.last, let count = Int64(text.dropLast()), count >= 0 else { return nil }
            switch unit {
            case "s": return count * 1000
            case "m": return count * 60_000
            case "h": return count * 3_600_000
            case "d": return count * 86_400_000
            default: return nil
            }
        }

        func run() throws {
            let layout = try storeArguments.layout()
            let now = try clock.milliseconds()
            let sink = LineSink()
            defer { sink.flush() }
            let action: TransactionResolutionPlan.Action? = commit ? .commit : rollback ? .rollback : nil
            let selection = action.map {
                TransactionResolutionPlan.Selection(
                    action: $0, olderThan: olderThan.flatMap(Self.milliseconds), producerGroup: producerGroup, offset: offset)
            }
            if mutation.apply, let selection {
                let outcome = try rmqstore.run {
                    try TransactionReplay.apply(root: layout.root, config: engineConfig(layout), now: now,
                                                selection: selection, brokerHost: storeHost.flatMap(HostAddress.init(parsing:)))
                }
                ReplayPlanPrinter(format: mutation.format).print(outcome.plan, applied: true, into: sink)
                ReplayPlanPrinter(format: mutation.format).print(written: outcome.written, journal: nil, into: sink)
                return
            }
            let report = try rmqstore.run { try TransactionScan.scan(layout, now: now) }
            ReplayPrinter(format: mutation.format).print(report, into: sink)
            var pending = report.count(.pending) > 0 || report.transactions.contains { $0.opMissing }
            if let selection {
                let plan = TransactionResolutionPlan(report, selection: selection)
                if mutation.format == .text { sink.writeLine("") }
                ReplayPlanPrinter(format: mutation.format).print(plan, applied: false, into: sink)
                pending = pending || !plan.isEmpty
            }
            if pending {
                sink.flush()
                throw ExitCode(1)
            }
        }
    }
}

/// The engine settings for writing into an existing store: sizes come from its files; the
/// delay levels are `--delay-levels`, else those its schedule queues show (see StoreLayout).
func engineConfig(_ layout: StoreLayout) -> MessageStoreConfig {
    var config = MessageStoreConfig()
    config.messageDelayLevel = layout.options.delayLevels.text
    return config
}
