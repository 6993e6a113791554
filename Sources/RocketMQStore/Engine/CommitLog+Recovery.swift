// Commitlog recovery (FORMAT.md §11.2, 4.9.8 `recoverNormally` / `recoverAbnormally`).

import RocketMQFormat

extension CommitLog {
    /// `recoverNormally`: scan from the third-to-last file; returns processOffset (the end of
    /// the last valid record), or nil when there are no files. The caller truncates.
    public func recoverNormally(checkCRC: Bool) -> Int64? {
        let files = queue.mappedFiles
        guard !files.isEmpty else { return nil }
        return scan(files, from: max(0, files.count - 3), checkCRC: checkCRC) { _ in }
    }

    /// `recoverAbnormally`: start at the newest file whose first record is a message with a
    /// nonzero STORETIMESTAMP ≤ `minTimestamp` (file 0 if none), and call `dispatch` for
    /// every valid record. Returns processOffset, nil without files.
    public func recoverAbnormally(
        checkCRC: Bool, minTimestamp: Int64, dispatch: (MessageRecordView) throws -> Void
    ) rethrows -> Int64? {
        let files = queue.mappedFiles
        guard !files.isEmpty else { return nil }
        var start = 0
        for index in files.indices.reversed() where isMatchedRecover(files[index], minTimestamp: minTimestamp) {
            start = index
            break
        }
        return try scan(files, from: start, checkCRC: checkCRC, dispatch)
    }

    /// `isMappedFileMatchedRecover` (4.9.8: V1 magic only).
    func isMatchedRecover(_ file: MappedFile, minTimestamp: Int64) -> Bool {
        let bytes = file.readableBytes
        guard let magic: Int32 = bytes.readBigEndian(at: 4), magic == MessageVersion.v1Magic,
              let sysFlag: Int32 = bytes.readBigEndian(at: MessageRecord.sysFlagPosition) else { return false }
        let position = 48 + MessageSysFlag(rawValue: sysFlag).bornHostLength
        guard let storeTimestamp: Int64 = bytes.readBigEndian(at: position), storeTimestamp != 0 else { return false }
        return storeTimestamp <= minTimestamp
    }

    private func scan(
        _ files: [MappedFile], from startIndex: Int, checkCRC: Bool, _ visit: (MessageRecordView) throws -> Void
    ) rethrows -> Int64 {
        let options = RecordCheckOptions(checkCRC: checkCRC, acceptVersion2: false, delayLevels: delayLevels)
        var index = startIndex
        var position = 0
        while true {
            let file = files[index]
            let entry = RecordDecoder.decode(file.readableBytes, at: position, options: options)
            switch entry {
            case .message(let view) where view.check.success && view.totalSize > 0:
                try visit(view)
                position += Int(view.totalSize)
                continue
            case .blank:
                if index + 1 < files.count {
                    index += 1
                    position = 0
                    continue
                }
            default:
                break
            }
            return file.fileFromOffset + Int64(position)
        }
    }
}
