import ArgumentParser
import RocketMQFormat
import RocketMQStore
import RocketMQTools

extension Rmqstore {
    struct Salvage: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a new, clean store holding every record that passes its checks, skipping damage.",
            discussion: """
                Reads STORE (never changed) and resynchronises after damage: a candidate record at position \
                p must have a message magic, PHYSICALOFFSET equal to p, a consistent size formula and a \
                matching body CRC. Every such record is copied into a new commitlog in OUTPUT (same file \
                size; only PHYSICALOFFSET is rewritten to the new position, so topic, queue, queue offset, \
                timestamps and properties are kept; a [5.x] property CRC that matched is recomputed, as it \
                covers PHYSICALOFFSET), then consume queues and index are dispatched from it with the \
                engine's writers, and the checkpoint and config/ are written.

                Reports the records kept, the records lost (damaged headers that still name their \
                position) with their offsets, the byte ranges skipped, and every queue-offset gap \
                (topic, queue, missing range).

                A lost record leaves a gap in its queue's QUEUEOFFSETs. RocketMQ appends the next \
                consume queue unit after a gap anyway, so every later unit of that queue sits one \
                position before its record's QUEUEOFFSET (verify: cq.queue-offset-gap), and a 4.9.8 \
                consumer, which commits the message's queue offset + 1 while pulling by position, skips \
                a message per gap after a restart. With --renumber the kept records of each queue get \
                contiguous QUEUEOFFSETs from the queue's first kept one (the only bytes changed besides \
                PHYSICALOFFSET; a matching [5.x] property CRC is recomputed), and each committed offset \
                in config/consumerOffset.json and config/delayOffset.json (SCHEDULE_TOPIC_XXXX) is \
                lowered by the number of lost queue offsets below it, so no consumer skips or re-reads \
                a kept message. PREPARED/ROLLBACK transaction records (QUEUEOFFSET 0, not dispatched) \
                are left as they are.

                Exit status: 0 nothing lost; 1 records or bytes were skipped; 64 usage (OUTPUT not empty); \
                74 I/O.
                """)

        @OptionGroup var storeArguments: StoreArguments

        @Option(help: ArgumentHelp("The new store's root (must not exist or be empty).", valueName: "dir"))
        var output: String

        @Flag(help: "Give each queue's kept records contiguous queue offsets and move committed consumer/delay offsets to match.")
        var renumber = false

        @Option(help: "Output format: text or json (NDJSON).")
        var format: OutputFormat = .text

        func run() throws {
            let layout = try storeArguments.layout()
            let output = self.output
            let report = try withStoreErrors { try StoreSalvager(layout: layout, output: output, renumber: renumber).run() }
            let sink = LineSink()
            func emit(_ type: String, _ members: [(String, JSONValue)], text: String) {
                sink.writeReport(type, members, text: text, json: format == .json)
            }
            for lost in report.lost {
                emit("lost", [("physicalOffset", .integer(lost.physicalOffset)), ("totalSize", .integer(Int64(lost.totalSize))),
                              ("reason", .string(lost.reason))], text: "lost record at \(lost.physicalOffset) (\(lost.totalSize) bytes): \(lost.reason)")
            }
            for range in report.skipped {
                emit("skipped", [("from", .integer(range.lowerBound)), ("to", .integer(range.upperBound))],
                     text: "skipped bytes [\(range.lowerBound), \(range.upperBound)) (\(range.count) bytes)")
            }
            for gap in report.gaps {
                let state = renumber ? "closed by --renumber" : "kept in the new store"
                emit("gap", [("topic", .string(gap.topic)), ("queueId", .integer(Int64(gap.queueId))), ("from", .integer(gap.from)),
                             ("to", .integer(gap.to)), ("renumbered", .bool(renumber))],
                     text: "GAP queue \(gap.topic)/\(gap.queueId): no record for queue offsets [\(gap.from), \(gap.to)) (\(gap.to &- gap.from) lost; \(state))")
            }
            for queue in report.renumbered {
                emit("renumbered", [("topic", .string(queue.topic)), ("queueId", .integer(Int64(queue.queueId))),
                                    ("firstQueueOffset", .integer(queue.firstQueueOffset)), ("records", .integer(Int64(queue.records))),
                                    ("renumbered", .integer(Int64(queue.renumbered))),
                                    ("sourceNextQueueOffset", .integer(queue.sourceNextQueueOffset)), ("nextQueueOffset", .integer(queue.nextQueueOffset))],
                     text: "renumbered queue \(queue.topic)/\(queue.queueId): \(queue.renumbered) of \(queue.records) records got new queue offsets; "
                         + "queue offsets [\(queue.firstQueueOffset), \(queue.sourceNextQueueOffset)) -> [\(queue.firstQueueOffset), \(queue.nextQueueOffset))")
            }
            for moved in report.offsetAdjustments {
                emit("offset-adjusted", [("file", .string("config/" + moved.file)), ("entry", .string(moved.entry)), ("topic", .string(moved.topic)),
                                         ("queueId", .integer(Int64(moved.queueId))), ("from", .integer(moved.from)), ("to", .integer(moved.to))],
                     text: "config/\(moved.file) \(moved.entry) queue \(moved.queueId): committed offset \(moved.from) -> \(moved.to)")
            }
            if !renumber, !report.gaps.isEmpty, format == .text {
                let queues = Set(report.gaps.map { "\($0.topic)/\($0.queueId)" }).sorted()
                sink.writeLine("hint: \(queues.count) queue(s) have queue-offset gaps (\(queues.joined(separator: ", "))): the new store's "
                    + "consume queue units sit one position early per gap and their consumers skip a message per gap after a restart; "
                    + "salvage again with --renumber to give the kept records contiguous queue offsets and move committed offsets")
            }
            let loss = !report.lost.isEmpty || !report.skipped.isEmpty
            emit("summary", [("kept", .integer(Int64(report.kept))), ("keptBytes", .integer(report.keptBytes)),
                             ("lost", .integer(Int64(report.lost.count))), ("skippedRanges", .integer(Int64(report.skipped.count))),
                             ("gaps", .integer(Int64(report.gaps.count))), ("renumberedQueues", .integer(Int64(report.renumbered.count))),
                             ("offsetsAdjusted", .integer(Int64(report.offsetAdjustments.count))),
                             ("output", .string(output)), ("exitCode", .integer(loss ? 1 : 0))],
                 text: "kept \(report.kept) records (\(report.keptBytes) bytes) in \(output); lost \(report.lost.count) record(s), skipped \(report.skipped.count) range(s), "
                     + "\(report.gaps.count) queue-offset gap(s)" + (renumber ? ", \(report.renumbered.count) queue(s) renumbered, \(report.offsetAdjustments.count) committed offset(s) moved" : ""))
            sink.flush()
            if loss { throw ExitCode(1) }
        }
    }
}
