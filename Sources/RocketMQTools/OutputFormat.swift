// `--format text|json` for every command.

public enum OutputFormat: String, Sendable, CaseIterable {
    case text
    /// NDJSON: one JSON object per line.
    case json
}
