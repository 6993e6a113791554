import ArgumentParser
import RocketMQFormat
import RocketMQStore
import RocketMQTools

extension Rmqstore {
    struct Recover: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Repair a store after a crash, offline and carefully, keeping every byte it cuts.",
            discussion: """
                The offline form of the broker's abnormal recovery: scans the whole commitlog with every \
                check (magic, size formula, body CRC, PHYSICALOFFSET), cuts it after the last valid record \
                (the tail zeroed as in a fresh file), removes later commitlog files, cuts consume queue units \
                pointing past the end and dispatches the records the queues lack (byte-identical to \
                RocketMQ's own units), rebuilds the index when it points past the end or lags, fixes the \
                checkpoint and removes abort. Also mends the known start-up blockers: zero-length files \
                (apache/rocketmq#6904), stray names in commitlog/ (#3257), a last commitlog file shorter than \
                the configured size, empty consume queue files (#9728), a corrupt config JSON with a good \
                .bak (#3401). Stray files in consumequeue/<topic>/<queueId>/ and index/ that the broker's \
                load() fails on or would load as segments, consume queue files of another size, an \
                unparsable config JSON without a good .bak and index files with a broken header are set \
                aside too.

                Damage before the end of the log is mended too: a consume queue whose units disagree with \
                the records (a zeroed, duplicated or wrong unit, a lost head file or queue directory while \
                the log still holds those queue offsets) is written anew from the log; an index whose \
                entries or hash chains disagree with the log (or with putKey's rules) is rebuilt; stray \
                directories the broker's load() fails on are set aside. A consistent store only has its \
                queue and index files read (digests made during the commitlog scan).

                When valid records follow the damage (damage in the middle of the log, not a torn tail), \
                recover stops and points to `rmqstore salvage`; --accept-loss cuts there anyway. A record \
                that passes every check but breaks its queue's run of consecutive queue offsets (a \
                QUEUEOFFSET, QUEUEID, TOPIC or SYSFLAG changed: fields outside the body CRC) is treated the \
                same way ("header damage outside the body CRC"): neither the log nor the queue can be taken \
                as right alone, and a record is never rewritten.

                Without --apply the plan is printed and nothing changes. With --apply everything cut or \
                overwritten is first saved to the salvage directory with a journal (`rmqstore undo \
                JOURNAL --apply` restores the store exactly); every file is replaced atomically; the store lock is \
                taken like a broker (exit 75 when it is held). --preview prints what a RocketMQ broker \
                would do with the store instead (as `rmqstore preview`).

                Exit status: 0 nothing to do or repaired; 1 dry run with changes pending; 65 damage in the \
                middle of the log (refused without --accept-loss); 64 usage; 74 I/O; 75 locked.
                """)

        @OptionGroup var storeArguments: StoreArguments
        @OptionGroup var mutation: MutationArguments

        @Flag(help: "Cut at the first damage even when valid records follow it (they stay in the salvage directory).")
        var acceptLoss = false

        @Flag(help: "Print what a RocketMQ broker would do with this store on its next start (changes nothing).")
        var preview = false

        @OptionGroup var previewArguments: PreviewArguments

        func run() throws {
            let layout = try storeArguments.layout()
            if preview {
                try previewArguments.run(layout: layout, format: mutation.format)
                return
            }
            let recoverer = StoreRecoverer(layout: layout, acceptLoss: acceptLoss)
            let sink = LineSink()
            let json = mutation.format == .json
            func emit(_ type: String, _ members: [(String, JSONValue)], text: String) {
                sink.writeReport(type, members, text: text, json: json)
            }
            var plan: RecoveryPlan
            var result: StoreRecoverer.Result?
            var salvage: String?
            if mutation.apply {
                let directory = mutation.salvageDir ?? StoreWriter.defaultSalvageDirectory(forStoreAt: layout.root)
                salvage = directory
                result = try withStoreErrors { try recoverer.apply(salvageDirectory: directory) }
                plan = result!.plan
            } else {
                plan = try withStoreErrors { try recoverer.plan() }
            }
            emit("end", [("endOffset", .integer(plan.endOffset)), ("endFile", plan.endFile.map { .string($0) } ?? .null),
                         ("reason", .string(plan.endReason)), ("records", .integer(Int64(plan.records))),
                         ("recordsAfterEnd", .integer(Int64(plan.recordsAfterEnd))), ("bytesCut", .integer(plan.bytesCut))],
                 text: plan.lines.first ?? "")
            if json {
                for action in plan.actions { emit("action", [("description", .string(action))], text: action) }
                for q in plan.queueActions where q.unitsCut > 0 || q.unitsAdded > 0 || q.rebuild != nil {
                    emit("consumequeue", [("topic", .string(q.topic)), ("queueId", .integer(Int64(q.queueId))),
                                          ("unitsCut", .integer(q.unitsCut)), ("unitsAdded", .integer(q.unitsAdded)),
                                          ("maxOffsetBefore", .integer(q.maxOffsetBefore)), ("maxOffsetAfter", .integer(q.maxOffsetAfter)),
                                          ("rebuild", q.rebuild.map { .string($0) } ?? .null)], text: "")
                }
                if plan.rebuildIndex { emit("index", [("rebuild", .bool(true)), ("reason", .string(plan.indexReason ?? ""))], text: "") }
            } else {
                for line in plan.lines.dropFirst() { sink.writeLine(line) }
            }
            let exitCode: Int32
            switch (plan.verdict, mutation.apply) {
            case (.midLogDamage, _): exitCode = 65
            case (.clean, _): exitCode = 0
            case (.repairable, false): exitCode = 1
            case (.repairable, true): exitCode = 0
            }
            let summary: String
            if plan.verdict == .midLogDamage {
                summary = "refused: nothing changed"
            } else if !plan.hasChanges {
                summary = "clean: nothing to do"
            } else if let result, let salvage, result.journal != nil {
                summary = "recovered in \(String(format3: result.seconds)) s; cut bytes and journal in \(salvage) (undo: rmqstore undo \(salvage)/journal.json --apply)"
            } else {
                summary = "dry run: nothing changed; add --apply to repair"
            }
            emit("summary", [("verdict", .string(plan.verdict.rawValue)), ("applied", .bool(result?.journal != nil)),
                             ("journal", salvage.map { .string($0 + "/journal.json") } ?? .null), ("exitCode", .integer(Int64(exitCode)))],
                 text: summary)
            sink.flush()
            if exitCode != 0 { throw ExitCode(exitCode) }
        }
    }
}
