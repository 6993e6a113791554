// One consume queue as the engine sees it after loading (4.9.8 `ConsumeQueue.recover` and
// `correctMinOffset`, FORMAT.md §11.4, §11.6), worked out from the files without changing
// them: the bounds are computed, never truncated into the files.

import RocketMQFormat

struct ReadOnlyConsumeQueue {
    let location: ConsumeQueueLocation
    /// The configured file size (`mappedFileSizeConsumeQueue` rounded down to whole units).
    let fileSize: Int64
    /// First valid logical byte / 20 (`minLogicOffset`).
    private(set) var minOffset: Int64 = 0
    /// One past the last valid unit (`getMaxOffsetInQueue` after recovery).
    private(set) var maxOffset: Int64 = 0

    private static let unitSize = ConsumeQueueUnit.size

    /// `commitLogMinOffset` is the commitlog's first file start (-1 without files), as the
    /// engine passes it to correctMinOffset.
    init(_ location: ConsumeQueueLocation, fileSize: Int64, commitLogMinOffset: Int64, cache: MappedRegionCache) throws(StoreError) {
        self.location = location
        self.fileSize = fileSize / Int64(Self.unitSize) * Int64(Self.unitSize)
        let files = location.files
        guard !files.isEmpty, self.fileSize > 0 else { return }

        // recover(): from the third-to-last file while units are valid (offset ≥ 0, size > 0);
        // earlier files are taken as full.
        var index = max(0, files.count - 3)
        var processOffset = files[index].fromOffset
        while true {
            let file = files[index]
            let region = try cache.region(file.path)
            let end = Int(min(self.fileSize, Int64(region.count)))
            let validEnd = region.withBytes { bytes in Self.validPrefix(bytes, end: end) }
            if Int64(validEnd) == self.fileSize {
                index += 1
                if index >= files.count {
                    processOffset = file.fromOffset + Int64(validEnd)
                    break
                }
                processOffset = files[index].fromOffset
            } else {
                processOffset = file.fromOffset + Int64(validEnd)
                break
            }
        }
        maxOffset = processOffset / Int64(Self.unitSize)

        // correctMinOffset(commitLogMinOffset): the first unit of the first file (up to its
        // recovered write position) whose physical offset is at or past the commitlog's start.
        let first = files[0]
        let firstEnd = min(self.fileSize, max(0, processOffset - first.fromOffset))
        let region = try cache.region(first.path)
        let found = region.withBytes { bytes -> Int? in
            var position = 0
            while position + Self.unitSize <= min(Int(firstEnd), bytes.count) {
                let offset: Int64 = bytes.readBigEndianUnchecked(at: position)
                if offset >= commitLogMinOffset { return position }
                position += Self.unitSize
            }
            return nil
        }
        if let found { minOffset = (first.fromOffset + Int64(found)) / Int64(Self.unitSize) }
    }

    /// Bytes of valid units at the start of `bytes[0..<end]`.
    private static func validPrefix(_ bytes: UnsafeRawBufferPointer, end: Int) -> Int {
        var position = 0
        while position + unitSize <= end {
            let offset: Int64 = bytes.readBigEndianUnchecked(at: position)
            let size: Int32 = bytes.readBigEndianUnchecked(at: position + 8)
            guard offset >= 0, size > 0 else { break }
            position += unitSize
        }
        return position
    }

    /// The unit at `queueOffset`, nil outside [min, max) or where no file holds it.
    func unit(at queueOffset: Int64, cache: MappedRegionCache) -> ConsumeQueueUnit? {
        guard queueOffset >= minOffset, queueOffset < maxOffset else { return nil }
        let logical = queueOffset * Int64(Self.unitSize)
        guard let file = StoreReader.segment(containing: logical, in: location.files, fileSize: fileSize),
              let region = try? cache.region(file.path) else { return nil }
        let position = Int(logical - file.fromOffset)
        return region.withBytes { bytes in try? ConsumeQueueUnit(decoding: bytes, at: position) }
    }
}
