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

    public var fileName: String { mappedFile.fileName }

    /// Built once: `putKey` runs for every key of every record.
    let writer: IndexFileWriter

    public var view: IndexFileView { try! IndexFileView(bytes: mappedFile.readableBytes, layout: layout) }
    public var header: IndexHeader { writer.header }
    public var endPhyOffset: Int64 { writer.endPhyOffset }
    public var endTimestamp: Int64 { header.endTimestamp }
    public var beginTimestamp: Int64 { header.beginTimestamp }
    /// `isWriteFull`: indexCount ≥ maxIndexNum.
    public var isWriteFull: Bool { writer.isFull }

    /// `IndexFile.putKey`; false when full.
    public func putKey(keyHash: Int32, phyOffset: Int64, storeTimestamp: Int64) -> Bool {
        writer.putKey(keyHash: keyHash, phyOffset: phyOffset, storeTimestamp: storeTimestamp)
    }

    public func flush() { mappedFile.forceAll() }
    public func startWriteback() { mappedFile.startWriteback() }

    public func destroy() { mappedFile.destroy() }
    public func unmap() { mappedFile.unmap() }
}
