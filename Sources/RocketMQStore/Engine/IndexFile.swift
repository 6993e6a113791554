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
        entryBuffer?.deallocate()
    }

    public var fileName: String { mappedFile.fileName }

    /// Built once: `putKey` runs for every key of every record. Its entry window moves when
    /// entries are buffered (the building thread's).
    private(set) var writer: IndexFileWriter
    /// Entries collect here when buffered (`bufferEntries`), `writer.entriesFirst` on.
    private var entryBuffer: UnsafeMutableRawPointer?
    private var entryBufferCapacity = 0

    public var view: IndexFileView { try! IndexFileView(bytes: mappedFile.readableBytes, layout: layout) }
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

    /// From now on new entries collect in a buffer of `capacity` entries, written to the file
    /// with pwrite when it fills, at `flush`, `startWriteback` and `unmap`. For an offline
    /// builder that queries nothing before flushing (rebuild): the entries, most of a file's
    /// bytes and written in order, then cost no page fault or page-table entry, and their
    /// writeback no unmapping of pages from the map. Slots and header stay in the map.
    public func bufferEntries(capacity: Int) {
        guard entryBuffer == nil, capacity > 0 else { return }
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity * IndexFileLayout.entrySize, alignment: 64)
        entryBuffer = buffer
        entryBufferCapacity = capacity
        writer.entriesFirst = writer.nextEntry
        writer.entries = buffer
    }

    private func writeBufferedEntries() {
        guard let buffer = entryBuffer, !mappedFile.isUnmapped else { return }
        let end = writer.nextEntry
        let count = end - writer.entriesFirst
        if count > 0 {
            mappedFile.write(UnsafeRawBufferPointer(start: buffer, count: count * IndexFileLayout.entrySize),
                             at: layout.entryPosition(writer.entriesFirst))
        }
        writer.entriesFirst = end
    }

    public func flush() {
        writeBufferedEntries()
        mappedFile.forceAll()
    }

    public func startWriteback() {
        writeBufferedEntries()
        mappedFile.startWriteback()
    }

    public func destroy() {
        unmap()
        mappedFile.destroy()
    }

    public func unmap() {
        writeBufferedEntries()
        if let entryBuffer {
            // Later puts (none should come) go to the map again.
            writer.entries = mappedFile.bytes.baseAddress! + layout.entriesStart
            writer.entriesFirst = 0
            entryBuffer.deallocate()
            self.entryBuffer = nil
        }
        mappedFile.unmap()
    }
}
