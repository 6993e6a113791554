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
                timestamps and properties are kept), then consume queues and index are dispatched from it \
                with the engine's writers, and the checkpoint and config/ are written.

                Reports the records kept, the records lost (damaged headers that still name their \
                position) with their offsets, the byte ranges skipped, and queue-offset gaps.

                Exit status: 0 nothing lost; 1 records or bytes were skipped; 64 usage (OUTPUT not empty); \
                74 I/O.
                """)

        @OptionGroup var storeArguments: StoreArguments

        @Option(help: ArgumentHelp("The new store's root (must not exist or be empty).", valueName: "dir"))
        var output: String

        @Option(help: "Output format: text or json (NDJSON).")
        var format: OutputFormat = .text

        func run() throws {
            let layout = try storeArguments.layout()
            let output = self.output
            let report = try withStoreErrors { try StoreSalvager(layout: layout, output: output).run() }
            let sink = LineSink()
            func emit(_ type: String, _ members: [(String, JSONValue)], text: String) {
                if format == .json {
                    sink.writeLine(JSONWriter.string(.object([JSONMember(key: "type", value: .string(type))]
                        + members.map { JSONMember(key: $0.0, value: $0.1) }), style: .compact))
                } else {
                    sink.writeLine(text)
                }
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
                emit("gap", [("topic", .string(gap.topic)), ("queueId", .integer(Int64(gap.queueId))), ("from", .integer(gap.from)), ("to", .integer(gap.to))],
                     text: "queue \(gap.topic)/\(gap.queueId): no record for queue offsets [\(gap.from), \(gap.to))")
            }
            let loss = !report.lost.isEmpty || !report.skipped.isEmpty
            emit("summary", [("kept", .integer(Int64(report.kept))), ("keptBytes", .integer(report.keptBytes)),
                             ("lost", .integer(Int64(report.lost.count))), ("skippedRanges", .integer(Int64(report.skipped.count))),
                             ("output", .string(output)), ("exitCode", .integer(loss ? 1 : 0))],
                 text: "kept \(report.kept) records (\(report.keptBytes) bytes) in \(output); lost \(report.lost.count) record(s), skipped \(report.skipped.count) range(s)")
            sink.flush()
            if loss { throw ExitCode(1) }
        }
    }
}
