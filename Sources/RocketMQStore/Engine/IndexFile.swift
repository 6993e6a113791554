// One writable IndexFile (`index/<yyyyMMddHHmmssSSS>`), FORMAT.md §8: a mapped file plus the
// format's in-place writer and reader.

import RocketMQFormat

public final class IndexFile: @unchecked Sendable {
    public let mappedFile: MappedFile
    public let layout: IndexFileLayout

    /// Opens an existing file (`create` false) or creates a zeroed one, presetting its header
    /// from the previous file's end values as the `IndexFile` constructor does on rotation.
    public init(
        path: String, layout: IndexFileLayout, create: Bool, previousEndPhyOffset: Int64 = 0,
        previousEndTimestamp: Int64 = 0
    ) throws(StoreError) {
        self.layout = layout
        mappedFile = try MappedFile(path: path, fileFromOffset: 0, fileSize: layout.fileSize, create: create)
        // The size was checked when the file was mapped, so this cannot fail.
        writer = try! IndexFileWriter(bytes: mappedFile.bytes, layout: layout)
        if create {
            writer.initializeNewFile(previousEndPhyOffset: previousEndPhyOffset,
                                     previousEndTimestamp: previousEndTimestamp)
        }
    }

    deinit {
        writeBufferedEntries()
        writeBufferedHead()
        entryBuffer?.deallocate()
    }

    public var fileName: String { mappedFile.fileName }

    /// Built once: `putKey` runs for every key of every record. Its entry window moves when
    /// entries are buffered (the building thread's).
    private(set) var writer: IndexFileWriter
    /// Entries collect here when buffered (`bufferWrites`), `writer.entriesFirst` on.
    private var entryBuffer: UnsafeMutableRawPointer?
    private var entryBufferCapacity = 0
    /// Where written entries not yet handed to writeback start (`MappedFile.startEarlyWriteback`).
    private var entriesWritebackFrom: Int?
    /// The header and slots when buffered (`writer.head`), written over the file's own.
    private var headBuffer: ZeroedMemory?
    /// `writer.nextEntry` when the buffered head was last written.
    private var headWrittenAt: Int?

    /// The file as written so far (buffered bytes are written to it first).
    public var view: IndexFileView {
        writeBufferedEntries()
        writeBufferedHead()
        return try! IndexFileView(bytes: mappedFile.readableBytes, layout: layout)
    }
    public var header: IndexHeader { writer.header }
    public var endPhyOffset: Int64 { writer.endPhyOffset }
    public var endTimestamp: Int64 { header.endTimestamp }
    public var beginTimestamp: Int64 { header.beginTimestamp }
    /// `isWriteFull`: indexCount ≥ maxIndexNum.
    public var isWriteFull: Bool { writer.isFull }

    /// `IndexFile.putKey`; false when full.
    public func putKey(keyHash: Int32, phyOffset: Int64, storeTimestamp: Int64) -> Bool {
        if entryBuffer != nil && writer.nextEntry - writer.entriesFirst >= entryBufferCapacity { writeBufferedEntries() }
        return writer.putKey(keyHash: keyHash, phyOffset: phyOffset, storeTimestamp: storeTimestamp)
    }

    /// From now on new entries collect in a buffer of `entryCapacity` entries, written to the
    /// file with pwrite when it fills, and the header and slot table live in private memory
    /// (`ZeroedMemory`), written whole; both at `flush`, `startWriteback`, `unmap` and `view`.
    /// For an offline builder that reads nothing back before flushing (rebuild), on a file it
    /// just created: the entries, most of a file's bytes and written in order, then cost no
    /// page fault or page-table entry and their writeback no unmapping of pages from the map;
    /// the slots' random writes cost no fault per page.
    public func bufferWrites(entryCapacity: Int) {
        guard entryBuffer == nil, entryCapacity > 0 else { return }
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: entryCapacity * IndexFileLayout.entrySize, alignment: 64)
        entryBuffer = buffer
        entryBufferCapacity = entryCapacity
        writer.entriesFirst = writer.nextEntry
        writer.entries = buffer
        if let head = ZeroedMemory(count: layout.entriesStart) {
            // A file with no entry yet has zero slots (its region is a hole, whose reading
            // would fault every page in): only the header is copied.
            let copied = writer.nextEntry > 1 ? layout.entriesStart : IndexHeader.size
            head.bytes.copyMemory(from: UnsafeRawBufferPointer(rebasing: mappedFile.bytes[..<copied]))
            headBuffer = head
            writer.head = head.bytes.baseAddress!
        }
    }

    private func writeBufferedEntries() {
        guard let buffer = entryBuffer, !mappedFile.isUnmapped else { return }
        let end = writer.nextEntry
        let count = end - writer.entriesFirst
        if count > 0 {
            mappedFile.write(UnsafeRawBufferPointer(start: buffer, count: count * IndexFileLayout.entrySize),
                             at: layout.entryPosition(writer.entriesFirst))
            entriesWritebackFrom = mappedFile.startEarlyWriteback(
                from: entriesWritebackFrom ?? layout.entryPosition(writer.entriesFirst), to: layout.entryPosition(end))
        }
        writer.entriesFirst = end
    }

    /// Writes the buffered header and slots over the file's, in one pwrite; not again until a
    /// put changed them (every put moves the header's indexCount).
    private func writeBufferedHead() {
        guard let headBuffer, !mappedFile.isUnmapped, headWrittenAt != writer.nextEntry else { return }
        mappedFile.write(UnsafeRawBufferPointer(headBuffer.bytes), at: 0)
        headWrittenAt = writer.nextEntry
    }

    /// With buffered writes: writes the buffered entries and returns what hashes the file as it
    /// will be once its header and slots are written too (`IndexFileDigest`, valid until the
    /// file is unmapped), so that a builder hashes it while `startWriteback` or `flush` writes
    /// them. Nil without buffered writes.
    public func bufferedDigest() -> IndexFileDigest? {
        guard let headBuffer, !mappedFile.isUnmapped else { return nil }
        writeBufferedEntries()
        return IndexFileDigest(path: mappedFile.path, head: UnsafeRawBufferPointer(headBuffer.bytes),
                               entriesEnd: layout.entryPosition(writer.nextEntry), fileSize: layout.fileSize)
    }

    public func flush() {
        writeBufferedEntries()
        writeBufferedHead()
        mappedFile.forceAll()
    }

    public func startWriteback() {
        writeBufferedEntries()
        writeBufferedHead()
        mappedFile.startWriteback()
    }

    public func destroy() {
        unmap()
        mappedFile.destroy()
    }

    public func unmap() {
        endBufferedWrites()
        mappedFile.unmap()
    }

    /// Writes what is buffered and frees the buffers; later puts (none should come) go to the
    /// map again. For a full file at rotation: a long build keeps no memory per finished file.
    public func endBufferedWrites() {
        writeBufferedEntries()
        writeBufferedHead()
        if headBuffer != nil {
            writer.head = mappedFile.bytes.baseAddress!
            headBuffer = nil
            headWrittenAt = nil
        }
        if let entryBuffer {
            writer.entries = mappedFile.bytes.baseAddress! + layout.entriesStart
            writer.entriesFirst = 0
            entryBuffer.deallocate()
            self.entryBuffer = nil
        }
    }
}
