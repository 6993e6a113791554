// The new commitlog of `rmqstore salvage`, written through the engine's writable mapped files.

import RocketMQFormat
import RocketMQStore

/// Appends records to a new commitlog through the engine's writable mapped files, rolling to
/// the next file with a blank marker as the broker does (a record goes in only when its length
/// plus 8 fits).
struct SalvageLogWriter {
    let directory: String
    let fileSize: Int
    var current: MappedFile?
    var nextFrom: Int64
    var filesWritten = 0
    private var scratch: [UInt8] = []

    init(directory: String, fileSize: Int, firstOffset: Int64) {
        self.directory = directory
        self.fileSize = fileSize
        nextFrom = firstOffset
    }

    /// Appends `record` with PHYSICALOFFSET set to its new position and QUEUEOFFSET to
    /// `queueOffset`. A [5.x] property CRC covers both fields (FORMAT.md §4): when it matched the
    /// source bytes it is recomputed for the new ones; a mismatching one is left as it was.
    mutating func append(_ record: MessageRecordView, queueOffset: Int64) throws(StoreError) {
        let size = Int(record.totalSize)
        if current == nil || current!.remaining < size + BlankMarker.length {
            if let file = current {
                let blank = BlankMarker.encode(totalSize: Int32(file.remaining))
                _ = blank.withUnsafeBytes { file.append($0) }
                file.forceAll()
                file.unmap()
            }
            current = try MappedFile(path: directory + "/" + SegmentFile.name(forOffset: nextFrom), fileFromOffset: nextFrom,
                                     fileSize: fileSize, create: true)
            nextFrom += Int64(fileSize)
            filesWritten += 1
        }
        guard let file = current else { return }
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: record.bytes)
        let newOffset = file.fileFromOffset + Int64(file.wrotePosition)
        let propertyCRC = Self.propertyCRCPosition(record)
        scratch.withUnsafeMutableBytes { bytes in
            bytes.storeBytes(of: queueOffset.bigEndian, toByteOffset: 20, as: Int64.self)
            bytes.storeBytes(of: newOffset.bigEndian, toByteOffset: 28, as: Int64.self)
            if let propertyCRC {
                let entry = PropertyCRC.entry(PropertyCRC.computed(for: UnsafeRawBufferPointer(bytes)))
                for (i, byte) in entry.enumerated() { bytes[propertyCRC + i] = byte }
            }
        }
        _ = scratch.withUnsafeBytes { file.append($0) }
    }

    /// Where the record's property CRC entry starts, when it has one that matches its bytes.
    static func propertyCRCPosition(_ record: MessageRecordView) -> Int? {
        let properties = record.propertiesBytes
        guard properties.count >= PropertyCRC.reservedLength, let stored = PropertyCRC.storedValue(in: properties),
              stored == PropertyCRC.computed(for: record.bytes) else { return nil }
        return Int(record.totalSize) - PropertyCRC.reservedLength
    }

    /// Flushes the last file; returns the end offset of the new log.
    mutating func finish() throws(StoreError) -> Int64 {
        guard let file = current else { return nextFrom }
        let end = file.fileFromOffset + Int64(file.wrotePosition)
        file.forceAll()
        file.unmap()
        current = nil
        return end
    }
}
