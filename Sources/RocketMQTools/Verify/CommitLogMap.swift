// Random access to the commitlog for the consume queue and index checks, after the log pass.
//
// Files are mapped once and stay mapped (address space, not memory: the pages belong to the
// page cache). What the log pass learned per file (where its data ends, which offsets failed)
// tells whether an offset is a record start the log walk accepted.

import RocketMQFormat
import RocketMQStore

final class CommitLogMap: @unchecked Sendable {  // immutable after init: shared by the parallel checks
    enum Lookup {
        /// Below the first commitlog file (expired messages): not checkable.
        case belowMin
        /// At or past the end of the valid data.
        case beyondEnd
        /// Inside the log but no file holds it, or the file cannot be read.
        case noFile
        /// Inside a stretch that failed the log checks.
        case damaged
        /// Inside the data but not at the start of a record.
        case notARecord
        case record(MessageRecordView)
    }

    struct FileInfo {
        var file: SegmentFile
        var dataEnd: Int
    }

    let files: [FileInfo]
    let fileSize: Int64
    /// Start of the first commitlog file.
    let minOffset: Int64
    /// End of the last valid record.
    let endOffset: Int64
    /// Offsets of records that failed their checks.
    let failedOffsets: Set<Int64>
    let options: RecordCheckOptions
    /// Every file mapped up front (address space only; pages come in when touched), so that
    /// lookups need no lock.
    private let regions: [MappedRegion?]

    init(files: [FileInfo], fileSize: Int64, endOffset: Int64, failedOffsets: Set<Int64>, options: RecordCheckOptions) {
        self.files = files
        self.fileSize = fileSize
        self.minOffset = files.first?.file.fromOffset ?? 0
        self.endOffset = endOffset
        self.failedOffsets = failedOffsets
        var dispatch = options
        dispatch.checkCRC = false  // the log pass checked CRCs already
        self.options = dispatch
        self.regions = files.map { try? MappedRegion(path: $0.file.path, sequential: false) }
    }

    /// Decodes the record at `offset` and calls `body` with the verdict; the view is only valid
    /// inside `body`.
    func withRecord<R>(at offset: Int64, _ body: (Lookup) -> R) -> R {
        if offset < minOffset { return body(.belowMin) }
        if offset >= endOffset { return body(.beyondEnd) }
        if failedOffsets.contains(offset) { return body(.damaged) }
        guard let index = fileIndex(containing: offset) else { return body(.noFile) }
        let info = files[index]
        let position = Int(offset - info.file.fromOffset)
        if position >= info.dataEnd { return body(.notARecord) }
        guard let region = region(index) else { return body(.noFile) }
        return region.withBytes { bytes in
            guard case .message(let record) = RecordDecoder.decode(bytes, at: position, options: options),
                  record.check.success, record.physicalOffset == offset else {
                return body(.notARecord)
            }
            return body(.record(record))
        }
    }

    private func fileIndex(containing offset: Int64) -> Int? {
        var low = 0, high = files.count - 1
        while low <= high {
            let mid = (low + high) / 2
            let file = files[mid].file
            if offset < file.fromOffset { high = mid - 1 }
            else if offset >= file.fromOffset + max(file.size, 0) { low = mid + 1 }
            else { return mid }
        }
        return nil
    }

    private func region(_ index: Int) -> MappedRegion? { regions[index] }
}
