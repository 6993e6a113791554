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
                JOURNAL is the journal.json in the salvage directory a repair (recover, rebuild, replay) \
                wrote. Every file it lists is restored from the salvage copy (whole files moved back, cut \
                ranges written back, created files removed, swapped directories swapped back) and checked \
                against the SHA-256 recorded before the repair. Works also after a repair was killed \
                half-way (files still in their original state are left alone), and after an undo was: \
                undo again finishes it.

                Without --apply the plan is printed and nothing changes: each file is "restore" (as the \
                repair left it), "original" (already as before) or "changed-since". A file the repair \
                finished that has changed since (a broker ran on the repaired store, or another repair \
                did) is not overwritten: undo refuses and changes nothing. With --force it restores \
                anyway, first saving each changed version under SALVAGE/undo-displaced-<time>/.

                Takes the store lock like a broker; exit 75 when a live process holds it. Exit status: \
                0 restored, or nothing to restore; 1 dry run with files to restore; 65 a file changed \
                since the repair (refused), or does not match its recorded SHA-256 after undo; 74 I/O; \
                75 locked.
                """)

        @Argument(help: "The journal.json of a repair.")
        var journal: String

        @Flag(help: "Put the store back. Without it the plan is printed and nothing is changed (dry run).")
        var apply = false

        @Flag(help: "Undo even files changed after the repair, saving their changed versions in the salvage directory first.")
        var force = false

        @Option(help: "Output format: text or json (NDJSON).")
        var format: OutputFormat = .text

        func run() throws {
            let journal = self.journal
            let sink = LineSink()
            let json = format == .json
            func emit(_ type: String, _ members: [(String, JSONValue)], text: String) {
                sink.writeReport(type, members, text: text, json: json)
            }
            if apply {
                let force = self.force
                let steps = try withStoreErrors { try JournalUndo.undo(journalAt: journal, force: force) }
                for step in steps {
                    emit("undo", [("path", .string(step.path)), ("action", .string(step.action))], text: "\(step.action): \(step.path)")
                }
                let restored = steps.filter(\.restoresFile).count
                emit("summary", [("restored", .integer(Int64(restored))), ("exitCode", .integer(0))],
                     text: "undo complete: \(restored) file(s) restored, every file matches its recorded SHA-256")
                sink.flush()
                return
            }
            let plan = try withStoreErrors { try UndoPlan(journalAt: journal) }
            for step in plan.steps {
                let entry = step.entry
                let text: String
                switch step.verdict {
                case .restore: text = "restore: \(entry.path) (\(entry.action.rawValue); as the \(plan.journal.command) left it)"
                case .original: text = "original: \(entry.path) (already as before the \(plan.journal.command))"
                case .notApplied: text = "not applied: \(entry.path) (the \(plan.journal.command) stopped before it)"
                case .changedSince:
                    text = "changed-since: \(entry.path) (SHA-256 \(step.current ?? "absent"); the \(plan.journal.command) left "
                        + "\(entry.sha256After ?? "absent"))" + (force ? ": its changed version would be saved first" : "")
                }
                emit("undo-plan", [("path", .string(entry.path)), ("action", .string(entry.action.rawValue)),
                                   ("verdict", .string(step.verdict.rawValue)), ("sha256Now", step.current.map { .string($0) } ?? .null),
                                   ("sha256Before", entry.sha256Before.map { .string($0) } ?? .null),
                                   ("sha256After", entry.sha256After.map { .string($0) } ?? .null)], text: text)
            }
            let changed = plan.changedSince.count
            let exitCode: Int32 = changed > 0 && !force ? 65 : plan.restores.isEmpty ? 0 : 1
            let summary: String
            if plan.isUndone {
                summary = "already undone: nothing to do"
            } else if plan.isInterruptedUndo {
                summary = "an undo was stopped half-way: \(plan.restores.count) file(s) left to restore; add --apply to finish it"
            } else if changed > 0 && !force {
                summary = "refused: \(changed) file(s) changed after the \(plan.journal.command); nothing changed (--force saves them first)"
            } else if plan.restores.isEmpty {
                summary = "nothing to restore: every file is as before the \(plan.journal.command)"
            } else {
                summary = "dry run: \(plan.restores.count) file(s) to restore; nothing changed; add --apply to undo"
            }
            emit("summary", [("restores", .integer(Int64(plan.restores.count))), ("changedSince", .integer(Int64(changed))),
                             ("exitCode", .integer(Int64(exitCode)))], text: summary)
            sink.flush()
            if exitCode != 0 { throw ExitCode(exitCode) }
        }
    }
}
