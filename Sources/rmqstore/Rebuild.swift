import ArgumentParser
import RocketMQFormat
import RocketMQStore
import RocketMQTools

extension Rmqstore {
    struct Rebuild: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Regenerate consumequeue/ (and index/) from the commitlog, byte-identical to what RocketMQ writes.",
            discussion: """
                Dispatches every commitlog record as the broker's reput service does (consume queue units \
                for normal and committed records, index entries for UNIQ_KEY and KEYS) into a staging \
                directory inside the store, then swaps the new consumequeue/ and index/ in atomically \
                (renameat2 exchange); the old directories go to the salvage directory with a journal, so \
                `rmqstore undo JOURNAL --apply` puts them back. The checkpoint's logicsMsgTimestamp and \
                indexMsgTimestamp are updated. With --topic only that topic's queues are rebuilt (the \
                index, shared by all topics, is left alone).

                Without --apply the plan is printed (per queue: units the log holds, units the queue has \
                now) and nothing changes. Refuses a store whose lock is held (exit 75).

                Exit status: 0 rebuilt (or, dry run, the queues already match the log); 1 dry run with \
                changes pending; 64 usage; 65 bad data; 74 I/O; 75 locked.
                """)

        @OptionGroup var storeArguments: StoreArguments
        @OptionGroup var mutation: MutationArguments

        @Option(help: "Rebuild only this topic's consume queues.")
        var topic: String?

        func run() throws {
            let layout = try storeArguments.layout()
            let rebuilder = StoreRebuilder(layout: layout, topic: topic)
            let sink = LineSink()
            let json = mutation.format == .json
            func emit(_ type: String, _ members: [(String, JSONValue)], text: String) {
                sink.writeReport(type, members, text: text, json: json)
            }
            // With --apply the plan comes from the same walk that rebuilds (one pass over the log).
            let salvage = mutation.salvageDir ?? StoreWriter.defaultSalvageDirectory(forStoreAt: layout.root)
            let result = mutation.apply ? try withStoreErrors { try rebuilder.apply(salvageDirectory: salvage) } : nil
            let plan = try result?.plan ?? withStoreErrors { try rebuilder.plan() }
            for queue in plan.queues {
                emit("queue", [("topic", .string(queue.topic)), ("queueId", .integer(Int64(queue.queueId))),
                               ("unitsFromLog", .integer(queue.unitsFromLog)), ("maxOffsetNow", queue.maxOffsetNow.map { .integer($0) } ?? .null)],
                     text: "consumequeue \(queue.topic)/\(queue.queueId): \(queue.unitsFromLog) unit(s) from the log, "
                        + (queue.maxOffsetNow.map { "\($0) now" } ?? "missing now"))
            }
            for change in plan.changes { emit("change", [("description", .string(change))], text: "plan: " + change) }
            guard mutation.apply else {
                emit("summary", [("applied", .bool(false)), ("records", .integer(Int64(plan.records))), ("queuesMatchLog", .bool(plan.queuesMatchLog))],
                     text: "dry run: nothing changed (\(plan.records) records; queues \(plan.queuesMatchLog ? "already match" : "differ from") the log); add --apply to rebuild")
                sink.flush()
                if !plan.queuesMatchLog { throw ExitCode(1) }
                return
            }
            guard let result else { return }
            emit("summary", [("applied", .bool(true)), ("records", .integer(Int64(plan.records))),
                             ("indexFiles", .integer(Int64(result.indexFiles))), ("journal", .string(salvage + "/journal.json")),
                             ("seconds", .double(result.seconds))],
                 text: "rebuilt from \(plan.records) records in \(String(format3: result.seconds)) s; old files and journal in \(salvage) (undo: rmqstore undo \(salvage)/journal.json --apply)")
            sink.flush()
        }
    }
}

extension String {
    init(format3 value: Double) {
        let scaled = Int((value * 1000).rounded())
        let fraction = String(scaled % 1000)
        self = "\(scaled / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}
