// The JSON journal a store change leaves in its salvage directory: every file touched, the byte
// range cut or overwritten, where the saved bytes are, and SHA-256 before and after. It is
// rewritten atomically before and after each step, so after a crash it always tells which
// files are old, which are new and how to put the old ones back (`rmqstore undo`).

import RocketMQFormat

public struct RepairJournal: Sendable, Hashable {
    public static let fileName = "journal.json"

    /// `undoing`: an undo checked every file and began restoring; if it was stopped, the files
    /// it had begun on may be neither old nor new, and undo again finishes them.
    public enum State: String, Sendable { case planned, applying, complete, undoing, undone }

    public enum Action: String, Sendable {
        /// The whole file replaced by new bytes; the salvage holds the whole original.
        case replace
        /// Bytes [keep, sizeBefore) dropped and the file set to sizeAfter (zeros after keep);
        /// the salvage holds the dropped range.
        case resize
        /// The file moved into the salvage directory.
        case remove
        /// A new file; undo removes it.
        case create
        /// A directory swapped with a staging directory; the old one moved to the salvage.
        case exchangeDirectory = "exchange-directory"
    }

    public enum EntryState: String, Sendable { case pending, applying, done }

    public struct Entry: Sendable, Hashable {
        public var step: Int
        public var action: Action
        /// Store-relative path.
        public var path: String
        public var reason: String
        /// The byte range cut or overwritten in the original file.
        public var rangeStart: Int64
        public var rangeEnd: Int64
        public var sizeBefore: Int64?
        public var sizeAfter: Int64?
        /// Digest of the file before and after (`ContentDigest`; for a resize, of the range
        /// [rangeStart, size) only; a tree digest for a directory).
        public var sha256Before: String?
        public var sha256After: String?
        /// Salvage-relative path of the saved bytes. For a resize: [rangeStart, end) where `end`
        /// is sha256Before's (the rest of the range was zeros).
        public var salvage: String?
        /// For exchangeDirectory: the store-relative staging directory.
        public var staging: String?
        public var state: EntryState
    }

    /// 1: whole-file SHA-256 everywhere. 2: `ContentDigest` (zero tails as `hex:end:size`),
    /// and a resize's digests cover only the changed range [rangeStart, size).
    public var version: Int
    public var command: String
    public var store: String
    public var salvageDirectory: String
    public var state: State
    public var entries: [Entry]

    public static let currentVersion = 2

    public init(command: String, store: String, salvageDirectory: String, state: State = .planned, entries: [Entry] = [],
                version: Int = RepairJournal.currentVersion) {
        self.version = version
        self.command = command
        self.store = store
        self.salvageDirectory = salvageDirectory
        self.state = state
        self.entries = entries
    }

    public var json: JSONValue {
        func opt(_ value: String?) -> JSONValue { value.map { .string($0) } ?? .null }
        func opt(_ value: Int64?) -> JSONValue { value.map { .integer($0) } ?? .null }
        return .object([
            JSONMember(key: "tool", value: .string("rmqstore")),
            JSONMember(key: "journalVersion", value: .integer(Int64(version))),
            JSONMember(key: "command", value: .string(command)),
            JSONMember(key: "store", value: .string(store)),
            JSONMember(key: "salvageDirectory", value: .string(salvageDirectory)),
            JSONMember(key: "state", value: .string(state.rawValue)),
            JSONMember(key: "entries", value: .array(entries.map { entry in
                .object([
                    JSONMember(key: "step", value: .integer(Int64(entry.step))),
                    JSONMember(key: "action", value: .string(entry.action.rawValue)),
                    JSONMember(key: "path", value: .string(entry.path)),
                    JSONMember(key: "reason", value: .string(entry.reason)),
                    JSONMember(key: "range", value: .array([.integer(entry.rangeStart), .integer(entry.rangeEnd)])),
                    JSONMember(key: "sizeBefore", value: opt(entry.sizeBefore)),
                    JSONMember(key: "sizeAfter", value: opt(entry.sizeAfter)),
                    JSONMember(key: "sha256Before", value: opt(entry.sha256Before)),
                    JSONMember(key: "sha256After", value: opt(entry.sha256After)),
                    JSONMember(key: "salvage", value: opt(entry.salvage)),
                    JSONMember(key: "staging", value: opt(entry.staging)),
                    JSONMember(key: "state", value: .string(entry.state.rawValue)),
                ])
            })),
        ])
    }

    public init(parsing bytes: [UInt8], path: String) throws(StoreError) {
        let value: JSONValue
        do { value = try FastJSON.parse(bytes) } catch { throw StoreError(error, path: path) }
        func bad(_ what: String) -> StoreError { StoreError(.badData, path: path, "not an rmqstore journal: \(what)") }
        guard value["tool"]?.stringValue == "rmqstore", let command = value["command"]?.stringValue,
              let store = value["store"]?.stringValue, let salvage = value["salvageDirectory"]?.stringValue,
              let state = value["state"]?.stringValue.flatMap(State.init(rawValue:)),
              let entries = value["entries"]?.elements else { throw bad("missing tool/command/store/salvageDirectory/state/entries") }
        self.init(command: command, store: store, salvageDirectory: salvage, state: state,
                  version: Int(value["journalVersion"]?.int64Value ?? 1))
        for item in entries {
            guard let step = item["step"]?.int64Value, let action = item["action"]?.stringValue.flatMap(Action.init(rawValue:)),
                  let entryPath = item["path"]?.stringValue, let range = item["range"]?.elements, range.count == 2,
                  let start = range[0].int64Value, let end = range[1].int64Value,
                  let entryState = item["state"]?.stringValue.flatMap(EntryState.init(rawValue:)) else { throw bad("malformed entry") }
            self.entries.append(Entry(
                step: Int(step), action: action, path: entryPath, reason: item["reason"]?.stringValue ?? "",
                rangeStart: start, rangeEnd: end, sizeBefore: item["sizeBefore"]?.int64Value, sizeAfter: item["sizeAfter"]?.int64Value,
                sha256Before: item["sha256Before"]?.stringValue, sha256After: item["sha256After"]?.stringValue,
                salvage: item["salvage"]?.stringValue, staging: item["staging"]?.stringValue, state: entryState))
        }
    }

    /// The journal at `path`. Its salvage directory is the one it is in, whatever it records:
    /// an operator may have moved the directory (to another disk, say) before an undo.
    public static func load(_ path: String) throws(StoreError) -> RepairJournal {
        var journal = try RepairJournal(parsing: FileSystem.readFile(path), path: path)
        journal.salvageDirectory = DurableFile.parent(of: path)
        return journal
    }

    /// Writes the journal atomically into its salvage directory.
    public func save() throws(StoreError) {
        try DurableFile.replaceAtomically(salvageDirectory + "/" + Self.fileName, with: JSONWriter.bytes(json) + [0x0A])
    }
}
