import ArgumentParser
import RocketMQFormat
import RocketMQStore
import RocketMQTools

/// Options of every command that changes a store.
struct MutationArguments: ParsableArguments {
    @Flag(help: "Change the store. Without it the plan is printed and nothing is changed (dry run).")
    var apply = false

    @Option(help: ArgumentHelp("Where cut or overwritten bytes and the journal go (default: STORE/../rmqstore-salvage-<time>).", valueName: "dir"))
    var salvageDir: String?

    @Option(help: "Output format: text or json (NDJSON).")
    var format: OutputFormat = .text
}

extension Rmqstore {
    struct Undo: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put a store back exactly as it was before a repair, from the repair's journal.",
            discussion: """
                JOURNAL is the journal.json in the salvage directory a repair (recover, rebuild) wrote. \
                Every file it lists is restored from the salvage copy (whole files moved back, cut ranges \
                written back, created files removed, swapped directories swapped back) and checked \
                against the SHA-256 recorded before the repair. Works also after a repair was killed \
                half-way: files still in their original state are left alone.

                Takes the store lock like a broker; exit 75 when a live process holds it. \
                Exit status: 0 restored; 65 a file does not match its recorded SHA-256; 74 I/O; 75 locked.
                """)

        @Argument(help: "The journal.json of a repair.")
        var journal: String

        @Option(help: "Output format: text or json (NDJSON).")
        var format: OutputFormat = .text

        func run() throws {
            let journal = self.journal
            let steps = try withStoreErrors { try JournalUndo.undo(journalAt: journal) }
            let sink = LineSink()
            for step in steps {
                if format == .json {
                    sink.writeLine(JSONWriter.string(.object([
                        JSONMember(key: "type", value: .string("undo")), JSONMember(key: "path", value: .string(step.path)),
                        JSONMember(key: "action", value: .string(step.action)),
                    ]), style: .compact))
                } else {
                    sink.writeLine("\(step.action): \(step.path)")
                }
            }
            sink.writeLine(format == .json ? "{\"type\":\"summary\",\"restored\":\(steps.count),\"exitCode\":0}"
                                           : "undo complete: \(steps.count) file(s) restored, every file matches its recorded SHA-256")
            sink.flush()
        }
    }
}
