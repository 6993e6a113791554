// Errors of the store layer. Each names the file, the byte offset when there is one, and what
// was expected, and maps to the CLI's documented exit status.

import RocketMQFormat

public struct StoreError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The path is not a RocketMQ store (no commitlog/), or is a layout we refuse (DLedger).
        case notAStore
        /// Bytes that do not match the format (wrong size, bad name, undecodable structure).
        case badData
        /// The operating system refused (permission, missing file, read error).
        case io
        /// Another process holds the store's lock.
        case locked
        /// A caller error (bad option value).
        case usage
    }

    public var kind: Kind
    /// The path concerned (relative to the store root when inside it).
    public var path: String
    /// Byte offset in `path`, when the error concerns a position.
    public var offset: Int64?
    public var message: String
    /// errno, for I/O errors.
    public var errno: Int32?

    public init(_ kind: Kind, path: String, offset: Int64? = nil, _ message: String, errno: Int32? = nil) {
        self.kind = kind
        self.path = path
        self.offset = offset
        self.message = message
        self.errno = errno
    }

    public init(_ error: FormatError, path: String, fileOffset: Int64 = 0) {
        self.init(.badData, path: path, offset: fileOffset + Int64(error.offset),
                  "\(error.structure) \(error.field): \(error.expected)")
    }

    /// The CLI exit status: 65 bad data, 74 I/O, 75 locked, 64 usage (including "not a store").
    public var exitCode: Int32 {
        switch kind {
        case .badData: 65
        case .notAStore: 64
        case .io: 74
        case .locked: 75
        case .usage: 64
        }
    }

    public var description: String {
        var text = path
        if let offset { text += " @ \(offset) (0x\(String(offset, radix: 16)))" }
        return text + ": " + message
    }
}
