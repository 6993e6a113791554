// The commitlog side of a simulated start: start-file choice, the recovery scan
// (`checkMessageAndReturnSize` record by record), `truncateDirtyFiles`, and the reput walk.

import RocketMQFormat
import RocketMQStore

struct SimulatedCommitLog {
    let files: [SegmentFile]
    let fileSize: Int64
    let cache: DiskCache
    let rules: StartupRules

    struct ScanResult {
        var processOffset: Int64
        var stopReason: String
        var stopFile: String
        var stopPosition: Int64
    }

    struct Cut {
        var deleted: [String] = []
        var kept: [StartupPreview.MappedFilePosition] = []
        var bytesAfterCut: Int64 = 0
    }

    /// recoverNormally's start: 4.9.8 the third-to-last file; 5.x the last file starting at or
    /// before the consume queues' max physical offset (#8915).
    func normalStartFile(maxPhyOffsetOfConsumeQueue: Int64) throws(StoreError) -> (Int, String) {
        if rules == .rocketMQ4 {
            return (max(0, files.count - 3), "normal recovery scans the last 3 files")
        }
        var index = files.count - 1
        while index > 0 && files[index].fromOffset > maxPhyOffsetOfConsumeQueue { index -= 1 }
        return (index, "5.x normal recovery starts at the file holding the consume queues' max offset \(maxPhyOffsetOfConsumeQueue)")
    }

    /// recoverAbnormally's start: walking back, the first file whose first record has a
    /// message magic, a non-zero STORETIMESTAMP and STORETIMESTAMP ≤ the checkpoint's bound.
    func abnormalStartFile(checkpoint: StoreCheckpoint, options: StartupPreviewOptions) throws(StoreError) -> (Int, String) {
        let bound = options.messageIndexEnable && options.messageIndexSafe ? checkpoint.minTimestampIndex : checkpoint.minTimestamp
        for index in files.indices.reversed() {
            let region = try cache.region(files[index].path)
            let storeTimestamp: Int64? = region.withBytes { bytes in
                guard let magic = bytes.readBigEndian(Int32.self, at: 4),
                      magic == MessageVersion.v1Magic || (rules == .rocketMQ5 && magic == MessageVersion.v2Magic),
                      let sysFlag = bytes.readBigEndian(Int32.self, at: 36) else { return nil }
                let position = 56 + (MessageSysFlag(rawValue: sysFlag).bornHostLength - 8)
                return bytes.readBigEndian(Int64.self, at: position)
            }
            if let storeTimestamp, storeTimestamp != 0, storeTimestamp <= bound {
                return (index, "abnormal recovery: last file whose first STORETIMESTAMP \(storeTimestamp) ≤ checkpoint bound \(bound)")
            }
        }
        return (0, "abnormal recovery: no file's first STORETIMESTAMP ≤ checkpoint bound \(bound), so file 0")
    }

    /// The recovery scan from file `start`; `dispatch` sees every record that passes.
    func recover(
        from start: Int, options: RecordCheckOptions, dispatch: (MessageRecordView, Int64) -> Void
    ) throws(StoreError) -> ScanResult {
        var index = start
        while true {
            let file = files[index]
            let region = try cache.region(file.path)
            var position = 0
            var blank = false
            var reason = ""
            region.withBytes { bytes in
                while true {
                    switch RecordDecoder.decode(bytes, at: position, options: options) {
                    case .message(let record):
                        guard record.check.success, record.totalSize > 0 else {
                            reason = record.check.failure.map { "record fails the check: \($0)" } ?? "record fails the check"
                            return
                        }
                        dispatch(record, file.fromOffset + Int64(position))
                        position += Int(record.totalSize)
                    case .blank:
                        blank = true
                        return
                    case .end(let end):
                        reason = end.description
                        return
                    }
                }
            }
            if blank {
                if index + 1 < files.count {
                    index += 1
                    continue
                }
                reason = "blank marker at the end of the last file"
            }
            return ScanResult(processOffset: file.fromOffset + Int64(position), stopReason: reason,
                              stopFile: file.relativePath, stopPosition: Int64(position))
        }
    }

    /// `MappedFileQueue.truncateDirtyFiles(X)` on the commitlog.
    func truncateDirtyFiles(_ offset: Int64) throws(StoreError) -> Cut {
        var cut = Cut()
        for file in files {
            if file.fromOffset + fileSize > offset {
                if offset >= file.fromOffset {
                    let position = Int(offset - file.fromOffset)
                    cut.kept.append(.init(file: file.name, fromOffset: file.fromOffset, wrotePosition: Int64(position)))
                    let region = try cache.region(file.path)
                    cut.bytesAfterCut += region.withBytes { bytes in
                        bytes.isAllZero(from: position) ? 0 : Int64(bytes.count - position)
                    }
                } else {
                    cut.deleted.append(file.relativePath)
                    let region = try cache.region(file.path)
                    cut.bytesAfterCut += region.withBytes { $0.isAllZero(from: 0) ? 0 : file.size }
                }
            } else {
                cut.kept.append(.init(file: file.name, fromOffset: file.fromOffset, wrotePosition: fileSize))
            }
        }
        return cut
    }

    /// `ReputMessageService.doReput` from `from` to `to` (no CRC check; a failed record with a
    /// positive size is skipped, anything else stops).
    func reput(
        from: Int64, to end: Int64, kept: [StartupPreview.MappedFilePosition], delayLevels: DelayLevelTable,
        dispatch: (MessageRecordView, Int64) -> Void
    ) throws(StoreError) {
        var offset = from
        let options = RecordCheckOptions(checkCRC: false, acceptVersion2: rules == .rocketMQ5, delayLevels: delayLevels)
        while offset < end {
            guard let fileIndex = kept.lastIndex(where: { $0.fromOffset <= offset }),
                  let file = files.first(where: { $0.name == kept[fileIndex].file }) else { return }
            let readable = Int(kept[fileIndex].wrotePosition)
            let region = try cache.region(file.path)
            var stop = false
            region.withBytes { whole in
                let bytes = UnsafeRawBufferPointer(rebasing: whole[0..<min(readable, whole.count)])
                var position = Int(offset - file.fromOffset)
                while position < bytes.count {
                    switch RecordDecoder.decode(bytes, at: position, options: options) {
                    case .message(let record):
                        if record.check.success && record.totalSize > 0 {
                            dispatch(record, file.fromOffset + Int64(position))
                            position += Int(record.totalSize)
                        } else if record.check.msgSize > 0 {
                            position += Int(record.check.msgSize)
                        } else {
                            stop = true
                            return
                        }
                    case .blank:
                        position = Int(fileSize)
                    case .end:
                        stop = true
                        return
                    }
                }
                offset = file.fromOffset + Int64(position)
            }
            if stop { return }
        }
    }
}

/// Dispatch as the broker's CommitLogDispatcherBuildConsumeQueue does (types NOT and COMMIT
/// only), creating queues on first use.
struct SimulatedDispatcher {
    var queues: [SimulatedConsumeQueue]
    var queueIndex: [String: Int]
    let cqFileSize: Int
    let cache: DiskCache
    let delayLevels: DelayLevelTable

    mutating func dispatch(_ record: MessageRecordView, physicalOffset: Int64) {
        guard record.transactionType.isDispatchedToConsumeQueue else { return }
        let key = "\(record.topic)/\(record.queueId)"
        let index: Int
        if let existing = queueIndex[key] {
            index = existing
        } else {
            index = queues.count
            queueIndex[key] = index
            queues.append(SimulatedConsumeQueue(topic: record.topic, queueId: record.queueId, fileSize: cqFileSize, cache: cache))
        }
        queues[index].put(physicalOffset: physicalOffset, size: record.totalSize,
                          tagsCode: record.tagsCode(delayLevels: delayLevels), queueOffset: record.queueOffset)
    }
}
