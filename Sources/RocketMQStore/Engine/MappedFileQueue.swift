// A directory of equally sized segment files forming one byte stream: RocketMQ's
// `MappedFileQueue` (FORMAT.md §1 loading rules, §11.5 truncation, §16 deletion).
//
// Files are named by the 20-digit offset of their first byte. The commitlog variant
// pre-creates the following file whenever it creates one, as `AllocateMappedFileService` does
// (so a store's last commitlog file is normally an all-zero spare); consume queues do not.
// The file list is guarded by a mutex; appends happen on the single writer under the owner's
// lock, while readers and flushers take snapshots.

import Synchronization

public final class MappedFileQueue: @unchecked Sendable {
    public let directory: String
    public let mappedFileSize: Int
    /// Create the next file ahead of time (the commitlog's allocate service).
    public let preallocatesNextFile: Bool
    /// Files created from now on buffer their appends (`MappedFile.bufferAppends`) in this
    /// many bytes; 0 appends into the map. Only for a single thread building files offline.
    public let appendBufferSize: Int
    private let files = Locked<[MappedFile]>([])
    private let spare = Locked<MappedFile?>(nil)
    private let flushedWhereValue = Atomic<Int64>(0)

    public init(directory: String, mappedFileSize: Int, preallocatesNextFile: Bool = false, appendBufferSize: Int = 0) {
        self.directory = directory
        self.mappedFileSize = mappedFileSize
        self.preallocatesNextFile = preallocatesNextFile
        self.appendBufferSize = appendBufferSize
    }

    deinit { shutdown() }

    /// The files in offset order (a snapshot).
    public var mappedFiles: [MappedFile] { files.withLock { $0 } }
    public var firstMappedFile: MappedFile? { files.withLock { $0.first } }
    public var lastMappedFile: MappedFile? { files.withLock { $0.last } }
    public var isEmpty: Bool { files.withLock { $0.isEmpty } }

    public var flushedWhere: Int64 {
        get { flushedWhereValue.load(ordering: .acquiring) }
        set { flushedWhereValue.store(newValue, ordering: .releasing) }
    }

    /// `MappedFileQueue.load`: maps every file of the directory (sorted by name). Each must be
    /// exactly `mappedFileSize` bytes, otherwise the broker refuses to start; positions are set
    /// to the file size, recovery then truncates.
    public func load() throws(StoreError) {
        try FileSystem.makeDirectories(directory)
        var loaded: [MappedFile] = []
        for entry in try FileSystem.list(directory) where entry.kind == .file {
            guard let offset = SegmentFile.parseName(entry.name) else { continue }
            guard entry.size == Int64(mappedFileSize) else {
                throw StoreError(.badData, path: directory + "/" + entry.name,
                                 "\(entry.size) bytes: length not matched message store config value \(mappedFileSize)")
            }
            let file = try MappedFile(path: directory + "/" + entry.name, fileFromOffset: offset,
                                      fileSize: mappedFileSize, create: false)
            file.setPositions(mappedFileSize)
            loaded.append(file)
        }
        loaded.sort { $0.fileFromOffset < $1.fileFromOffset }
        files.withLock { $0 = loaded }
    }

    /// `getLastMappedFile(startOffset, needCreate)`: the last file, creating the first one (at
    /// `startOffset` rounded down to a file boundary) or the next one when the last is full.
    public func lastMappedFile(startOffset: Int64, create: Bool = true) throws(StoreError) -> MappedFile? {
        let last = lastMappedFile
        var createOffset: Int64 = -1
        if last == nil {
            createOffset = startOffset - startOffset % Int64(mappedFileSize)
        } else if let last, last.isFull {
            createOffset = last.fileFromOffset + Int64(mappedFileSize)
        }
        guard createOffset >= 0, create else { return last }
        let file = try createFile(at: createOffset)
        files.withLock { list in
            if list.isEmpty { file.isFirstCreateInQueue = true }
            list.append(file)
        }
        return file
    }

    private func createFile(at offset: Int64) throws(StoreError) -> MappedFile {
        try FileSystem.makeDirectories(directory)
        let reserved = spare.withLock { slot -> MappedFile? in
            defer { slot = nil }
            return slot?.fileFromOffset == offset ? slot : nil
        }
        let file: MappedFile
        if let reserved {
            file = reserved
        } else {
            file = try MappedFile(path: path(forOffset: offset), fileFromOffset: offset, fileSize: mappedFileSize,
                                  create: true)
        }
        file.bufferAppends(capacity: appendBufferSize)
        if preallocatesNextFile {
            let next = offset + Int64(mappedFileSize)
            let nextFile = try MappedFile(path: path(forOffset: next), fileFromOffset: next,
                                          fileSize: mappedFileSize, create: true)
            spare.withLock { $0 = nextFile }
        }
        return file
    }

    public func path(forOffset offset: Int64) -> String { directory + "/" + SegmentFile.name(forOffset: offset) }

    /// `findMappedFileByOffset`: the file holding `offset`, assuming contiguous files.
    public func findMappedFile(offset: Int64, returnFirstOnNotFound: Bool = false) -> MappedFile? {
        files.withLock { list -> MappedFile? in
            guard let first = list.first, let last = list.last else { return nil }
            if offset < first.fileFromOffset || offset >= last.fileFromOffset + Int64(mappedFileSize) {
                return returnFirstOnNotFound ? first : nil
            }
            let index = Int(offset / Int64(mappedFileSize) - first.fileFromOffset / Int64(mappedFileSize))
            if index >= 0, index < list.count, list[index].fileFromOffset <= offset,
               offset < list[index].fileFromOffset + Int64(mappedFileSize) {
                return list[index]
            }
            return list.first { $0.fileFromOffset <= offset && offset < $0.fileFromOffset + Int64(mappedFileSize) }
                ?? (returnFirstOnNotFound ? first : nil)
        }
    }

    /// First byte of the stream (the first file's start), or -1 when empty.
    public var minOffset: Int64 { firstMappedFile?.fileFromOffset ?? -1 }
    /// End of the appended bytes (`getMaxOffset`), 0 when empty.
    public var maxOffset: Int64 { lastMappedFile.map { $0.fileFromOffset + Int64($0.wrotePosition) } ?? 0 }
    public var maxWrotePosition: Int64 { maxOffset }

    /// `truncateDirtyFiles(offset)` (§11.5): a file holding `offset` gets its positions set to
    /// it (in memory; bytes past it are not zeroed), every file wholly after it is deleted.
    public func truncateDirtyFiles(_ offset: Int64) {
        let doomed = files.withLock { list -> [MappedFile] in
            var keep: [MappedFile] = []
            var remove: [MappedFile] = []
            for file in list {
                let end = file.fileFromOffset + Int64(mappedFileSize)
                if end > offset {
                    if offset >= file.fileFromOffset {
                        file.setPositions(Int(offset - file.fileFromOffset))
                        keep.append(file)
                    } else {
                        remove.append(file)
                    }
                } else {
                    keep.append(file)
                }
            }
            list = keep
            return remove
        }
        for file in doomed { file.destroy() }
        if flushedWhere > offset { flushedWhere = offset }
    }

    /// Deletes the last file (CQ truncation).
    public func deleteLastMappedFile() {
        let last = files.withLock { list -> MappedFile? in list.popLast() }
        last?.destroy()
    }

    /// Deletes the first `count` files (expired-file deletion, never the last one).
    public func deleteFirstFiles(_ doomed: [MappedFile]) {
        let ids = Set(doomed.map { ObjectIdentifier($0) })
        files.withLock { list in list.removeAll { ids.contains(ObjectIdentifier($0)) } }
        for file in doomed { file.destroy() }
    }

    /// `flush(leastPages)`: forces the file holding `flushedWhere`; returns true when nothing
    /// moved (RocketMQ's "result" convention is inverted: true = no progress).
    @discardableResult
    public func flush(leastPages: Int = 0) -> Bool {
        guard let file = findMappedFile(offset: flushedWhere, returnFirstOnNotFound: flushedWhere == 0) else {
            return true
        }
        let position = file.flush(leastPages: leastPages)
        let whereNow = file.fileFromOffset + Int64(position)
        let noProgress = whereNow == flushedWhere
        flushedWhere = whereNow
        return noProgress
    }

    /// Flushes until `flushedWhere` reaches `maxOffset` (crossing file boundaries).
    public func flushAll() {
        var guardCount = 0
        while flushedWhere < maxOffset && guardCount < files.withLock({ $0.count }) + 2 {
            flush(leastPages: 0)
            guardCount += 1
        }
    }

    /// `deleteExpiredFileByTime`: deletes files (never the last one, oldest first, stopping at
    /// the first file that is not expired) whose last-modified time + `reservedMillis` ≤ `now`.
    /// At most `limit` files per call. Returns the deleted files' names.
    public func deleteExpiredFiles(reservedMillis: Int64, now: Int64, limit: Int = 10) -> [String] {
        let list = mappedFiles
        var doomed: [MappedFile] = []
        for file in list.dropLast() {
            guard doomed.count < limit, file.lastModifiedTime + reservedMillis <= now else { break }
            doomed.append(file)
        }
        deleteFirstFiles(doomed)
        return doomed.map(\.fileName)
    }

    /// Deletes the pre-created next file, as 4.9.8's `AllocateMappedFileService.shutdown` does
    /// at a clean shutdown (after a crash it stays, and recovery keeps or deletes it).
    public func discardSpare() {
        spare.withLock { $0?.destroy(); $0 = nil }
    }

    /// Unmaps every file (the files stay on disk).
    public func shutdown() {
        let list = files.withLock { list -> [MappedFile] in defer { list = [] }; return list }
        for file in list { file.unmap() }
        spare.withLock { $0?.unmap(); $0 = nil }
    }
}
