// One planned change to a store file, as repair tools hand them to StoreWriter.

public struct StoreChange: Sendable {
    public enum Kind: Sendable {
        /// Replace the whole file with `contents`.
        case replace(contents: [UInt8])
        /// Keep bytes [0, keep) and set the length to `size` (zeros after keep).
        case resize(keep: Int64, size: Int64)
        /// Move the file into the salvage directory.
        case remove
        /// Create a new file with `contents` (it must not exist).
        case create(contents: [UInt8])
        /// Swap the directory with `staging` (store-relative), which holds its new contents.
        case exchangeDirectory(staging: String)
    }

    /// Store-relative path.
    public var path: String
    public var kind: Kind
    /// Why, for the plan and the journal.
    public var reason: String
    /// exchangeDirectory only: the two trees hashed already by the caller (the old one still
    /// checked against its stamp when the journal is written); nil: the writer hashes them.
    public var treeDigests: (before: TreeDigest, after: String)?

    public init(_ path: String, _ kind: Kind, reason: String) {
        self.path = path
        self.kind = kind
        self.reason = reason
    }

    public var summary: String {
        switch kind {
        case .replace(let contents): "rewrite \(path) (\(contents.count) bytes): \(reason)"
        case .resize(let keep, let size): "cut \(path) at \(keep), length \(size) (zeros after \(keep)): \(reason)"
        case .remove: "remove \(path) (moved to the salvage directory): \(reason)"
        case .create(let contents): "create \(path) (\(contents.count) bytes): \(reason)"
        case .exchangeDirectory(let staging): "replace \(path)/ with \(staging)/ (old one to the salvage directory): \(reason)"
        }
    }
}
