// What `rmqstore undo` would do with a journal, judged from the store as it is now.
//
// An entry the repair finished must find its file as the repair left it (sha256After) or
// already as it was before (sha256Before, an earlier undo got that far). Anything else means
// the file changed after the repair: a broker ran on the store, or another repair did. Putting
// the old bytes back would then throw those later writes away, so undo refuses unless forced,
// and forced it first saves the files it would overwrite. An entry the repair was killed in the
// middle of (`applying`) may be in any state: its restore is the point of the journal. So may
// every entry of an undo that was itself stopped (`undoing`): it had checked them all first.

public struct UndoPlan: Sendable {
    public enum Verdict: String, Sendable {
        /// The file is as the repair left it (or mid-way): undo restores it.
        case restore
        /// Already as before the repair: nothing to do.
        case original
        /// Changed after the repair: undo refuses, unless forced.
        case changedSince = "changed-since"
        /// Never applied (the repair stopped before it): nothing to do.
        case notApplied = "not-applied"
    }

    public struct Step: Sendable {
        public var entry: RepairJournal.Entry
        public var verdict: Verdict
        /// The digest now (`ContentDigest.current`), nil when absent or not applied.
        public var current: String?
    }

    public var journal: RepairJournal
    /// In the journal's order.
    public var steps: [Step]

    public var restores: [Step] { steps.filter { $0.verdict == .restore || $0.verdict == .changedSince } }
    public var changedSince: [Step] { steps.filter { $0.verdict == .changedSince } }
    public var isUndone: Bool { journal.state == .undone }
    /// An undo began restoring and was stopped: undo again finishes it.
    public var isInterruptedUndo: Bool { journal.state == .undoing }

    /// Judges every entry of `journal` against the store at `journal.store` (hashing what it
    /// touched; the caller holds the store lock when it goes on to undo).
    public init(journal: RepairJournal) throws(StoreError) {
        self.journal = journal
        steps = []
        guard journal.state != .undone else { return }
        for entry in journal.entries {
            guard entry.state != .pending else {
                steps.append(Step(entry: entry, verdict: .notApplied, current: nil))
                continue
            }
            let current = try ContentDigest.current(entry, root: journal.store, version: journal.version)
            let verdict: Verdict
            if current == entry.sha256Before {
                verdict = .original
            } else if entry.state == .applying || journal.state == .undoing || current == entry.sha256After {
                verdict = .restore
            } else {
                verdict = .changedSince
            }
            steps.append(Step(entry: entry, verdict: verdict, current: current))
        }
    }

    /// `init(journal:)` for the journal at `path`.
    public init(journalAt path: String) throws(StoreError) {
        try self.init(journal: RepairJournal.load(path))
    }
}
