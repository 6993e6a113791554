// One consume queue, `consumequeue/<topic>/<queueId>/`, written and recovered exactly as
// RocketMQ 4.9.8's `ConsumeQueue` does (FORMAT.md §7.1, §11.4, §11.5, §11.6).
//
// Usable on its own (rebuilding queues from a commitlog) and by the engine's dispatcher. Not
// thread-safe for writes: one dispatcher thread puts; readers use `unit(at:)` concurrently,
// which only reads published positions.

import RocketMQFormat

public final class ConsumeQueueWriter: @unchecked Sendable {
    public static let unitSize = ConsumeQueueUnit.size

    public let topic: String
    public let queueId: Int32
    public let directory: String
    public let queue: MappedFileQueue
    /// End (offset + size) of the last unit put or recovered; -1 when none. (No run-time
    /// exclusivity check, here and on `writing`: one thread writes the queue, and the check
    /// per put cost a rebuild's writing thread 30 ms.)
    @exclusivity(unchecked) public private(set) var maxPhysicOffset: Int64 = -1
    /// First valid logical byte (in memory only, §11.6).
    @exclusivity(unchecked) public private(set) var minLogicOffset: Int64 = 0
    /// The file units go to, kept by the (single) writing thread so a put does not take the
    /// file list's lock; dropped when the last file can change (load, recover, truncate,
    /// shutdown: none of them runs while units are put).
    @exclusivity(unchecked) private var writing: MappedFile? {
        didSet { writingRef = writing.map { Unmanaged.passUnretained($0) } }
    }
    @exclusivity(unchecked) private var writingRef: Unmanaged<MappedFile>?

    /// `storeRoot` is the store directory; the queue lives in `consumequeue/<topic>/<queueId>`.
    /// `appendBufferSize` > 0 buffers the units of new files (`MappedFile.bufferAppends`): for
    /// a rebuild, which writes each queue once and reads nothing back before the flush.
    public init(storeRoot: String, topic: String, queueId: Int32, mappedFileSizeConsumeQueue: Int, appendBufferSize: Int = 0) {
        self.topic = topic
        self.queueId = queueId
        self.directory = storeRoot + "/consumequeue/" + topic + "/" + String(queueId)
        // RocketMQ rounds the size down to a whole number of units.
        let size = mappedFileSizeConsumeQueue / Self.unitSize * Self.unitSize
        self.queue = MappedFileQueue(directory: directory, mappedFileSize: size, appendBufferSize: appendBufferSize)
    }

    public var mappedFileSize: Int { queue.mappedFileSize }

    /// Maps the existing files (positions at file size until `recover`).
    public func load() throws(StoreError) {
        writing = nil
        try queue.load()
    }

    /// `ConsumeQueue.recover` (§11.4): scan from the third-to-last file while units are valid
    /// (offset ≥ 0 and size > 0), then truncate the file queue there.
    public func recover() {
        writing = nil
        let files = queue.mappedFiles
        guard !files.isEmpty else { return }
        var index = max(0, files.count - 3)
        var processOffset = files[index].fileFromOffset
        var fileOffset = 0
        var maxExtent: Int64 = -1
        while true {
            let file = files[index]
            let bytes = file.readableBytes
            fileOffset = 0
            var position = 0
            while position + Self.unitSize <= file.fileSize {
                let offset: Int64 = bytes.readBigEndianUnchecked(at: position)
                let size: Int32 = bytes.readBigEndianUnchecked(at: position + 8)
                guard offset >= 0, size > 0 else { break }
                fileOffset = position + Self.unitSize
                maxExtent = offset + Int64(size)
                position += Self.unitSize
            }
            if fileOffset == file.fileSize {
                index += 1
                if index >= files.count {
                    processOffset = file.fileFromOffset + Int64(fileOffset)
                    break
                }
                processOffset = files[index].fileFromOffset
            } else {
                processOffset = file.fileFromOffset + Int64(fileOffset)
                break
            }
        }
        maxPhysicOffset = maxExtent
        queue.flushedWhere = processOffset
        queue.truncateDirtyFiles(processOffset)
    }

    /// `putMessagePositionInfo` (§7.1): the unit goes at the last file's write position; a
    /// duplicate (offset + size ≤ maxPhysicOffset, or a queue offset already written) is
    /// skipped; the first file created for a queue offset ≠ 0 is pre-filled with blank units.
    /// Returns false only when the unit could not be written.
    @discardableResult
    public func putMessagePositionInfo(
        offset: Int64, size: Int32, tagsCode: Int64, cqOffset: Int64
    ) throws(StoreError) -> Bool {
        if offset + Int64(size) <= maxPhysicOffset { return true }  // built repeatedly
        // Java's long arithmetic wraps: a damaged QUEUEOFFSET must not trap here.
        let expectLogicOffset = cqOffset &* Int64(Self.unitSize)
        // The common case, without a retain and release of the file per unit (`writing`
        // keeps it alive).
        if let writingRef {
            let done = writingRef._withUnsafeGuaranteedRef { file -> Bool? in
                file.isFull ? nil : put(into: file, offset: offset, size: size, tagsCode: tagsCode, cqOffset: cqOffset, expectLogicOffset: expectLogicOffset)
            }
            if let done { return done }
        }
        guard let last = try queue.lastMappedFile(startOffset: expectLogicOffset) else { return false }
        writing = last
        return put(into: last, offset: offset, size: size, tagsCode: tagsCode, cqOffset: cqOffset, expectLogicOffset: expectLogicOffset)
    }

    private func put(into file: MappedFile, offset: Int64, size: Int32, tagsCode: Int64, cqOffset: Int64, expectLogicOffset: Int64) -> Bool {
        if file.isFirstCreateInQueue && cqOffset != 0 && file.wrotePosition == 0 {
            minLogicOffset = expectLogicOffset
            queue.flushedWhere = expectLogicOffset
            fillPreBlank(file, untilWhere: expectLogicOffset)
        }
        if cqOffset != 0 {
            let currentLogicOffset = Int64(file.wrotePosition) + file.fileFromOffset
            if expectLogicOffset < currentLogicOffset { return true }  // built repeatedly
            // expect > current is RocketMQ's "[BUG]logic queue order maybe wrong": it appends anyway.
        }
        maxPhysicOffset = offset + Int64(size)
        return withUnsafeTemporaryAllocation(byteCount: Self.unitSize, alignment: 8) { raw in
            raw.storeBytes(of: offset.bigEndian, toByteOffset: 0, as: Int64.self)
            raw.storeBytes(of: size.bigEndian, toByteOffset: 8, as: Int32.self)
            raw.storeBytes(of: tagsCode.bigEndian, toByteOffset: 12, as: Int64.self)
            return file.append(UnsafeRawBufferPointer(raw))
        }
    }

    /// Dispatches a record (`putMessagePositionInfoWrapper`), honouring §7.2. Returns whether
    /// a unit was (or already had been) written.
    @discardableResult
    public func dispatch(_ request: DispatchRequest) throws(StoreError) -> Bool {
        guard request.buildsConsumeQueueUnit else { return false }
        return try putMessagePositionInfo(
            offset: request.commitLogOffset, size: request.msgSize, tagsCode: request.tagsCode,
            cqOffset: request.consumeQueueOffset)
    }

    private func fillPreBlank(_ file: MappedFile, untilWhere: Int64) {
        let until = Int(untilWhere % Int64(queue.mappedFileSize))
        let blank = ConsumeQueueUnit.preBlank.encoded()
        blank.withUnsafeBytes { raw in
            var position = 0
            while position < until {
                file.append(raw)
                position += Self.unitSize
            }
        }
    }

    /// `truncateDirtyLogicFiles(phyOffset)` (§11.5).
    public func truncateDirtyLogicFiles(_ phyOffset: Int64) {
        writing = nil
        maxPhysicOffset = phyOffset
        while let file = queue.lastMappedFile {
            file.setPositions(0)
            let bytes = file.readableBytes
            var position = 0
            var deleted = false
            while position + Self.unitSize <= file.fileSize {
                let offset: Int64 = bytes.readBigEndianUnchecked(at: position)
                let size: Int32 = bytes.readBigEndianUnchecked(at: position + 8)
                if position == 0 {
                    if offset >= phyOffset {
                        queue.deleteLastMappedFile()
                        deleted = true
                        break
                    }
                    // Java does not check unit 0's size here.
                    file.setPositions(Self.unitSize)
                    maxPhysicOffset = offset + Int64(size)
                } else {
                    guard offset >= 0, size > 0 else { return }
                    if offset >= phyOffset { return }
                    file.setPositions(position + Self.unitSize)
                    maxPhysicOffset = offset + Int64(size)
                    if position + Self.unitSize == file.fileSize { return }
                }
                position += Self.unitSize
            }
            if !deleted { return }
        }
    }

    /// `correctMinOffset(phyMinOffset)` (4.9.8, §11.6): the first unit of the first file whose
    /// physical offset ≥ the commitlog's min offset sets minLogicOffset.
    public func correctMinOffset(_ phyMinOffset: Int64) {
        guard let file = queue.firstMappedFile else { return }
        let bytes = file.readableBytes
        var position = 0
        let end = file.wrotePosition
        while position + Self.unitSize <= end {
            let offset: Int64 = bytes.readBigEndianUnchecked(at: position)
            if offset >= phyMinOffset {
                minLogicOffset = file.fileFromOffset + Int64(position)
                return
            }
            position += Self.unitSize
        }
    }

    /// Max queue offset (one past the last unit).
    public var maxOffsetInQueue: Int64 { queue.maxOffset / Int64(Self.unitSize) }
    /// Min queue offset (§7.1).
    public var minOffsetInQueue: Int64 { minLogicOffset / Int64(Self.unitSize) }

    /// The unit at `queueOffset`, nil outside [min, max).
    public func unit(at queueOffset: Int64) -> ConsumeQueueUnit? {
        guard queueOffset >= minOffsetInQueue, queueOffset < maxOffsetInQueue else { return nil }
        let logical = queueOffset * Int64(Self.unitSize)
        guard let file = queue.findMappedFile(offset: logical) else { return nil }
        let position = Int(logical - file.fileFromOffset)
        guard position + Self.unitSize <= file.wrotePosition else { return nil }
        return try? ConsumeQueueUnit(decoding: file.readableBytes, at: position)
    }

    /// `MappedFile.startWriteback` for every file (then `flush` waits less).
    public func startWriteback() { for file in queue.mappedFiles { file.startWriteback() } }

    /// Forces dirty units (`flush(leastPages)`).
    @discardableResult
    public func flush(leastPages: Int = 0) -> Bool { queue.flush(leastPages: leastPages) }

    /// `deleteExpiredFile(commitLogMinOffset)` (§16): non-last files whose last unit points
    /// below the commitlog's min offset are deleted; then correctMinOffset.
    @discardableResult
    public func deleteExpiredFiles(commitLogMinOffset: Int64) -> Int {
        // Never the last file, so `writing` stays valid (this may run beside the writer).
        let files = queue.mappedFiles
        var doomed: [MappedFile] = []
        for file in files.dropLast() {
            let lastPosition = file.fileSize - Self.unitSize
            let offset: Int64 = file.readableBytes.readBigEndianUnchecked(at: lastPosition)
            guard offset < commitLogMinOffset else { break }
            doomed.append(file)
        }
        queue.deleteFirstFiles(doomed)
        correctMinOffset(commitLogMinOffset)
        return doomed.count
    }

    public func shutdown() {
        writing = nil
        queue.shutdown()
    }
}
