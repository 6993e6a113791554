// One consume queue as a 4.9.8 broker holds it in memory during load, recovery and the first
// dispatch (ConsumeQueue + MappedFileQueue), replayed without writing a byte.
//
// Units come from the files on disk, overlaid with the units the simulated dispatch appends;
// positions (wrote/flushed) are tracked per file exactly as the broker sets them, because the
// quirks of `truncateDirtyFiles` (nothing zeroed) and `truncateDirtyLogicFiles` (unit 0 is
// taken whatever it holds) decide what the broker ends up serving.

import RocketMQFormat
import RocketMQStore

struct SimulatedConsumeQueue {
    struct File {
        var fromOffset: Int64
        var wrotePosition: Int
        /// The file on disk (nil for a file the dispatch creates).
        var disk: SegmentFile?
        /// Units appended by the simulated dispatch, by byte position.
        var appended: [Int: ConsumeQueueUnit] = [:]
        var firstCreateInQueue = false
    }

    let topic: String
    let queueId: Int32
    let fileSize: Int
    let cache: DiskCache
    var files: [File] = []
    var maxPhysicOffset: Int64 = -1
    var minLogicOffset: Int64 = 0
    var deletedFiles: [String] = []
    var createdFiles: [String] = []
    var unitsAppended = 0
    var unitsSkippedAsDuplicates = 0

    init(topic: String, queueId: Int32, fileSize: Int, cache: DiskCache, diskFiles: [SegmentFile] = []) {
        self.cache = cache
        self.topic = topic
        self.queueId = queueId
        self.fileSize = fileSize
        files = diskFiles.map { File(fromOffset: $0.fromOffset, wrotePosition: fileSize, disk: $0) }
    }

    var key: String { "\(topic)/\(queueId)" }

    /// `getMaxOffsetInQueue`: (last file start + its read position) / 20.
    var maxOffsetInQueue: Int64 {
        guard let last = files.last else { return 0 }
        return (last.fromOffset + Int64(last.wrotePosition)) / Int64(ConsumeQueueUnit.size)
    }

    /// The unit at `position` of file `index` as the broker's buffer would read it.
    func unit(file index: Int, at position: Int) throws(StoreError) -> ConsumeQueueUnit {
        let file = files[index]
        if let unit = file.appended[position] { return unit }
        guard let disk = file.disk else { return ConsumeQueueUnit(physicalOffset: 0, size: 0, tagsCode: 0) }
        let region = try cache.region(disk.path)
        return region.withBytes { bytes in
            (try? ConsumeQueueUnit(decoding: bytes, at: position)) ?? ConsumeQueueUnit(physicalOffset: 0, size: 0, tagsCode: 0)
        }
    }

    /// `ConsumeQueue.recover` (FORMAT.md §11.4): scan from the third-to-last file, then
    /// `truncateDirtyFiles(processOffset)`.
    mutating func recover() throws(StoreError) {
        guard !files.isEmpty else { return }
        var index = max(0, files.count - 3)
        var processOffset = files[index].fromOffset
        var mappedFileOffset = 0
        while true {
            var position = 0
            if files[index].appended.isEmpty, let disk = files[index].disk {
                // Straight from the mapped file (nothing dispatched yet during recovery): no
                // per-unit lookup of the file's region by its path.
                let region = try cache.region(disk.path)
                let limit = fileSize
                var offset = mappedFileOffset, physic = maxPhysicOffset
                region.withBytes { bytes in
                    while position + ConsumeQueueUnit.size <= min(limit, bytes.count) {
                        let physicalOffset: Int64 = bytes.readBigEndianUnchecked(at: position)
                        let size: Int32 = bytes.readBigEndianUnchecked(at: position + 8)
                        guard physicalOffset >= 0 && size > 0 else { break }
                        offset = position + ConsumeQueueUnit.size
                        physic = physicalOffset + Int64(size)
                        position += ConsumeQueueUnit.size
                    }
                }
                mappedFileOffset = offset
                maxPhysicOffset = physic
            } else {
                while position < fileSize {
                    let unit = try unit(file: index, at: position)
                    guard unit.physicalOffset >= 0 && unit.size > 0 else { break }
                    mappedFileOffset = position + ConsumeQueueUnit.size
                    maxPhysicOffset = unit.physicalOffset + Int64(unit.size)
                    position += ConsumeQueueUnit.size
                }
            }
            if mappedFileOffset == fileSize {
                index += 1
                if index >= files.count { break }
                processOffset = files[index].fromOffset
                mappedFileOffset = 0
            } else {
                break
            }
        }
        truncateDirtyFiles(processOffset + Int64(mappedFileOffset))
    }

    /// `MappedFileQueue.truncateDirtyFiles(X)`: the file holding X keeps its bytes with its
    /// positions moved to X; every later file is deleted.
    mutating func truncateDirtyFiles(_ offset: Int64) {
        var kept: [File] = []
        for var file in files {
            if file.fromOffset + Int64(fileSize) > offset {
                if offset >= file.fromOffset {
                    file.wrotePosition = Int(offset - file.fromOffset)
                } else {
                    if let disk = file.disk { deletedFiles.append(disk.relativePath) }
                    continue
                }
            }
            kept.append(file)
        }
        files = kept
    }

    /// `ConsumeQueue.truncateDirtyLogicFiles(P)` (FORMAT.md §11.5), with its quirk: unit 0 of
    /// the last file is kept whenever its offset is below P, even an all-zero unit.
    mutating func truncateDirtyLogicFiles(_ phyOffset: Int64) throws(StoreError) -> Int {
        maxPhysicOffset = phyOffset
        let before = maxOffsetInQueue
        while let lastIndex = files.indices.last {
            files[lastIndex].wrotePosition = 0
            var position = 0
            var deleted = false
            scan: while position < fileSize {
                let unit = try unit(file: lastIndex, at: position)
                if position == 0 {
                    if unit.physicalOffset >= phyOffset {
                        let file = files.removeLast()
                        if let disk = file.disk { deletedFiles.append(disk.relativePath) }
                        deleted = true
                        break scan
                    }
                } else if !(unit.physicalOffset >= 0 && unit.size > 0) || unit.physicalOffset >= phyOffset {
                    break scan
                }
                files[lastIndex].wrotePosition = position + ConsumeQueueUnit.size
                maxPhysicOffset = unit.physicalOffset + Int64(unit.size)
                position += ConsumeQueueUnit.size
            }
            if !deleted { break }
        }
        return Int(max(0, before - maxOffsetInQueue))
    }

    /// `ConsumeQueue.putMessagePositionInfo` for one dispatched record (FORMAT.md §7.1).
    mutating func put(physicalOffset: Int64, size: Int32, tagsCode: Int64, queueOffset: Int64) {
        if physicalOffset + Int64(size) <= maxPhysicOffset {
            unitsSkippedAsDuplicates += 1
            return
        }
        let expectLogicOffset = queueOffset * Int64(ConsumeQueueUnit.size)
        var index: Int
        if files.isEmpty {
            let from = expectLogicOffset - expectLogicOffset % Int64(fileSize)
            files.append(File(fromOffset: from, wrotePosition: 0, disk: nil, firstCreateInQueue: true))
            createdFiles.append("consumequeue/\(topic)/\(queueId)/" + SegmentFile.name(forOffset: from))
        } else if files[files.count - 1].wrotePosition >= fileSize {
            let from = files[files.count - 1].fromOffset + Int64(fileSize)
            files.append(File(fromOffset: from, wrotePosition: 0, disk: nil))
            createdFiles.append("consumequeue/\(topic)/\(queueId)/" + SegmentFile.name(forOffset: from))
        }
        index = files.count - 1
        if files[index].firstCreateInQueue && queueOffset != 0 && files[index].wrotePosition == 0 {
            minLogicOffset = expectLogicOffset
            let until = Int(expectLogicOffset % Int64(fileSize))
            var position = 0
            while position < until {
                files[index].appended[position] = .preBlank
                position += ConsumeQueueUnit.size
            }
            files[index].wrotePosition = until
        }
        if queueOffset != 0 {
            let current = files[index].fromOffset + Int64(files[index].wrotePosition)
            if expectLogicOffset < current {
                unitsSkippedAsDuplicates += 1
                return
            }
        }
        maxPhysicOffset = physicalOffset + Int64(size)
        let position = files[index].wrotePosition
        guard position + ConsumeQueueUnit.size <= fileSize else { return }
        files[index].appended[position] = ConsumeQueueUnit(physicalOffset: physicalOffset, size: size, tagsCode: tagsCode)
        files[index].wrotePosition = position + ConsumeQueueUnit.size
        unitsAppended += 1
    }

    /// `ConsumeQueue.correctMinOffset` (4.9.8, FORMAT.md §11.6).
    mutating func correctMinOffset(_ phyMinOffset: Int64) throws(StoreError) {
        guard let first = files.first else { return }
        var position = 0
        while position < first.wrotePosition {
            let unit = try unit(file: 0, at: position)
            if unit.physicalOffset >= phyMinOffset {
                minLogicOffset = first.fromOffset + Int64(position)
                return
            }
            position += ConsumeQueueUnit.size
        }
    }

    var state: QueueStateSnapshot {
        QueueStateSnapshot(maxOffset: maxOffsetInQueue, maxPhysicOffset: maxPhysicOffset, minLogicOffset: minLogicOffset)
    }
}

/// A queue's numbers as the broker reports them (`getMaxOffsetInQueue`, `getMaxPhysicOffset`,
/// `getMinLogicOffset`).
public struct QueueStateSnapshot: Sendable, Hashable {
    public var maxOffset: Int64
    public var maxPhysicOffset: Int64
    public var minLogicOffset: Int64
}

/// Keeps the last few mapped files open while a simulation reads units one at a time.
/// One per simulation (files change between runs).
final class DiskCache {
    private var regions: [String: MappedRegion] = [:]
    private var order: [String] = []

    func region(_ path: String) throws(StoreError) -> MappedRegion {
        if let region = regions[path] { return region }
        let region = try MappedRegion(path: path, sequential: false)
        regions[path] = region
        order.append(path)
        if order.count > 64 { regions[order.removeFirst()] = nil }
        return region
    }
}
