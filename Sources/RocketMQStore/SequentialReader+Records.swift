// Commitlog records decoded from a `SequentialReader`: each from a window that holds every byte
// the decoder may read, so the verdict (and a failure's reason) is the one decoding the whole
// mapped file there gives.
//
// The positions inside what these return (a view's `position`, a blank marker's or an end's)
// are relative to that window, whose byte 0 is the file's byte `position`.

import RocketMQFormat

extension SequentialReader {
    /// `RecordDecoder.decode` at `position`.
    public func entry(at position: Int, options: RecordCheckOptions) throws(StoreError) -> CommitLogEntry {
        RecordDecoder.decode(try recordWindow(at: position, options: options), at: 0, options: options)
    }

    /// `RecordDecoder.withMessage(in:at:options:_:)` at `position`: the view is lent to `body`,
    /// not copied out. False when no message starts there (then `entry(at:)` says what does).
    public func withMessage(at position: Int, options: RecordCheckOptions,
                            _ body: (borrowing MessageRecordView) -> Void) throws(StoreError) -> Bool {
        RecordDecoder.withMessage(in: try recordWindow(at: position, options: options), at: 0, options: options, body)
    }

    /// The bytes from `position` the decoder may read: when a message starts there, up to
    /// 3 × TOTALSIZE + 256 of them (or the rest of the file), at least 8 otherwise. Each of the
    /// body, topic and properties lengths is checked against TOTALSIZE before its bytes are
    /// read, so no field of a record, however damaged, ends further out (3 × TOTALSIZE + 116):
    /// in that window a record decodes exactly as in the whole file, failure reasons included.
    private func recordWindow(at position: Int, options: RecordCheckOptions) throws(StoreError) -> UnsafeRawBufferPointer {
        let bytes = try self.bytes(from: position, atLeast: 8)
        guard bytes.count >= 8,
              let version = MessageVersion(magic: Int32(bigEndian: bytes.loadUnaligned(fromByteOffset: 4, as: Int32.self))),
              version == .v1 || options.acceptVersion2
        else { return bytes }
        let totalSize = Int(Int32(bigEndian: bytes.loadUnaligned(as: Int32.self)))
        let reach = 3 * max(totalSize, 0) + 256
        guard reach > bytes.count else { return bytes }
        if reach > chunkSize {
            // Before reading a large span: a damaged header fails the same way on the part
            // already read (its first failure is not a field cut short by the window), and
            // then no more of the file need be read.
            let partial = RecordDecoder.decode(bytes, at: 0, options: options)
            guard case .message(let view) = partial, case .truncated? = view.check.failure else { return bytes }
        }
        return try self.bytes(from: position, atLeast: reach)
    }
}
