// The index service (`IndexService` of 4.9.8): builds index entries for dispatched records,
// rotates files, answers key queries (FORMAT.md §8.3–§8.6, §11.7).
//
// Files are named by their creation time, `yyyyMMddHHmmssSSS` in local time
// (`UtilAll.timeMillisToHumanString`). Usable standalone (rebuilding an index from a
// commitlog) and by the engine's dispatcher; one thread builds, queries may run concurrently.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CMemoryHints
import RocketMQFormat

public final class IndexWriter: @unchecked Sendable {
    public let directory: String
    public let layout: IndexFileLayout
    private let fileList = Locked<[IndexFile]>([])
    /// Called after a full file was flushed on rotation, with its endTimestamp: the store sets
    /// `checkpoint.indexMsgTimestamp` and flushes the checkpoint (§8.5).
    public var onFullFileFlushed: (@Sendable (Int64) -> Void)?
    /// The clock used to name new files (tests may pin it).
    public var clock: @Sendable () -> Int64 = { IndexWriter.currentTimeMillis() }

    /// New files buffer this many entries (`IndexFile.bufferWrites`); 0 puts them in the map.
    public let entryBufferCapacity: Int

    /// `storeRoot` is the store directory; files live in `index/`. `entryBufferCapacity` > 0
    /// is for an offline build that queries nothing before it flushes (rebuild).
    public init(storeRoot: String, layout: IndexFileLayout, entryBufferCapacity: Int = 0) {
        self.directory = storeRoot + "/index"
        self.layout = layout
        self.entryBufferCapacity = entryBufferCapacity
    }

    public var files: [IndexFile] { fileList.withLock { $0 } }

    /// The file being written, kept by the (single) building thread so that a put does not
    /// take the list lock; reset by load and shutdown.
    nonisolated(unsafe) private var building: IndexFile? {
        didSet { buildingRef = building.map { Unmanaged.passUnretained($0) } }
    }
    nonisolated(unsafe) private var buildingRef: Unmanaged<IndexFile>?

    private func writableFile() throws(StoreError) -> IndexFile? {
        if let building, !building.isWriteFull { return building }
        building = try lastWritableFile()
        return building
    }

    /// `IndexService.load(lastExitOK)` (§11.7): maps every file; after an abnormal exit, files
    /// whose endTimestamp > `indexMsgTimestamp` (the checkpoint's) are deleted.
    public func load(lastExitOK: Bool, indexMsgTimestamp: Int64) throws(StoreError) {
        guard FileSystem.isDirectory(directory) else { return }
        var loaded: [IndexFile] = []
        for entry in try FileSystem.list(directory) where entry.kind == .file {
            guard entry.name.utf8.count == 17, entry.name.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { continue }
            guard entry.size == Int64(layout.fileSize) else {
                throw StoreError(.badData, path: directory + "/" + entry.name,
                                 "\(entry.size) bytes, expected \(layout.fileSize) for \(layout)")
            }
            let file = try IndexFile(path: directory + "/" + entry.name, layout: layout, create: false)
            if !lastExitOK && file.endTimestamp > indexMsgTimestamp {
                file.destroy()
                continue
            }
            loaded.append(file)
        }
        fileList.withLock { $0 = loaded }
        building = nil
    }

    /// `buildIndex(request)` (§8.4): UNIQ_KEY then each KEYS token, as `topic#key`; skipped
    /// for ROLLBACK records and for offsets below the current file's endPhyOffset.
    public func buildIndex(_ request: DispatchRequest) throws(StoreError) {
        guard var file = try writableFile() else { return }
        if request.commitLogOffset < file.endPhyOffset { return }
        guard request.isIndexed else { return }
        if let uniqKey = request.uniqKey {
            file = try putKey(file, IndexKey(topic: request.topic, key: uniqKey).hash, request)
        }
        if !request.keys.isEmpty {
            for key in request.keys.split(separator: " ", omittingEmptySubsequences: true) {
                file = try putKey(file, IndexKey(topic: request.topic, key: String(key)).hash, request)
            }
        }
    }

    /// Builds the index for a record viewed in place, hashing the keys from the record's bytes
    /// (no String per key). Same rules as `buildIndex(_:)`.
    public func buildIndex(_ view: MessageRecordView) throws(StoreError) {
        try buildIndex(view, uniqKey: view.propertyBytes("UNIQ_KEY"), keys: view.propertyBytes("KEYS"))
    }

    /// `buildIndex` with UNIQ_KEY and KEYS already found (`DispatchFields`): `topic#key`
    /// hashed incrementally from the topic's hash, each KEYS token in place.
    public func buildIndex(
        _ view: MessageRecordView, uniqKey: UnsafeRawBufferPointer?, keys: UnsafeRawBufferPointer?
    ) throws(StoreError) {
        // Java fetches (and in an empty index creates) the last file before anything else.
        guard var file = try writableFile() else { return }
        let offset = view.physicalOffset
        if offset < file.endPhyOffset { return }
        guard view.transactionType != .rollback, view.propertiesLength > 0 else { return }
        let timestamp = view.storeTimestamp
        try IndexKey.forEachHash(topicPrefix: IndexKey.topicPrefixHash(view.topicBytes), uniqueKey: uniqKey, keys: keys) {
            (hash) throws(StoreError) in file = try putKey(file, hash, offset, timestamp)
        }
    }

    /// `buildIndex` for a record whose key hashes (`IndexKey.hash`, UNIQ_KEY first, then each
    /// KEYS token) were computed elsewhere, e.g. by the thread walking the log. `indexable`:
    /// not a ROLLBACK record and it has properties.
    public func buildIndex(offset: Int64, timestamp: Int64, indexable: Bool, keyHashes: UnsafeBufferPointer<Int64>) throws(StoreError) {
        // The common case, in the file being built with no retain and release of it per
        // record (`building` keeps it alive): how many keys went in, or -1 when it is full.
        var next = -1
        if let buildingRef {
            next = buildingRef._withUnsafeGuaranteedRef { file -> Int in
                guard !file.isWriteFull else { return -1 }
                if offset < file.endPhyOffset || !indexable { return keyHashes.count }
                var put = 0
                while put < keyHashes.count,
                      file.putKey(keyHash: Int32(truncatingIfNeeded: keyHashes[put]), phyOffset: offset, storeTimestamp: timestamp) {
                    put += 1
                }
                return put
            }
            if next == keyHashes.count { return }
        }
        guard var file = try writableFile() else { return }
        if next < 0 {
            if offset < file.endPhyOffset { return }
            guard indexable else { return }
            next = 0
        }
        // The file filled up during this record: the rest of its keys go to the next one.
        for hash in keyHashes[next...] { file = try putKey(file, Int32(truncatingIfNeeded: hash), offset, timestamp) }
    }

    /// Asks the CPU for the slot of `keyHash` (an `IndexKey.hash`) in the file being built,
    /// ahead of its put: slots are written at random over megabytes, and a put that waits for
    /// its slot's cache line is most of the index's cost in a rebuild.
    public func prefetchSlot(keyHash: Int64) {
        guard let buildingRef, keyHash >= 0 else { return }
        let position = layout.slotPosition(layout.slot(forKeyHash: Int32(truncatingIfNeeded: keyHash)))
        buildingRef._withUnsafeGuaranteedRef { file in
            rmq_prefetch_write(file.writer.head + position)
        }
    }

    private func putKey(_ file: IndexFile, _ hash: Int32, _ request: DispatchRequest) throws(StoreError) -> IndexFile {
        try putKey(file, hash, request.commitLogOffset, request.storeTimestamp)
    }

    private func putKey(_ file: IndexFile, _ hash: Int32, _ offset: Int64, _ timestamp: Int64) throws(StoreError) -> IndexFile {
        var current = file
        var attempts = 0
        while !current.putKey(keyHash: hash, phyOffset: offset, storeTimestamp: timestamp) {
            attempts += 1
            guard attempts < 3, let next = try writableFile() else {
                throw StoreError(.io, path: directory, "cannot add an index entry for offset \(offset)")
            }
            current = next
        }
        return current
    }

    /// `getAndCreateLastIndexFile`: the last file if not full, else a new one named by the
    /// current time, preset from the previous file's end values; the full file is flushed
    /// and reported through `onFullFileFlushed`.
    public func lastWritableFile() throws(StoreError) -> IndexFile? {
        let last = files.last
        if let last, !last.isWriteFull { return last }
        try FileSystem.makeDirectories(directory)
        var millis = clock()
        // Two rotations within one millisecond would reuse a name (and so the full file); step on.
        var name = Self.fileName(forMillis: millis)
        while FileSystem.exists(directory + "/" + name) || files.contains(where: { $0.fileName == name }) {
            millis += 1
            name = Self.fileName(forMillis: millis)
        }
        let created = try IndexFile(
            path: directory + "/" + name, layout: layout, create: true,
            previousEndPhyOffset: last?.endPhyOffset ?? 0, previousEndTimestamp: last?.endTimestamp ?? 0)
        created.bufferWrites(entryCapacity: entryBufferCapacity)
        fileList.withLock { $0.append(created) }
        if let last {
            last.flush()
            last.endBufferedWrites()
            onFullFileFlushed?(last.endTimestamp)
        }
        return created
    }

    /// `queryOffset(topic, key, maxNum, begin, end)` (§8.6), newest file first.
    public func queryOffsets(topic: String, key: String, maxNum: Int, begin: Int64, end: Int64,
                             maxMsgsNumBatch: Int = 64) -> [Int64] {
        let list = files
        return withExtendedLifetime(list) {
            IndexFileView.queryOffsets(in: list.map(\.view), keyHash: IndexKey(topic: topic, key: key).hash,
                                       begin: begin, end: end, maxNum: maxNum, maxMsgsNumBatch: maxMsgsNumBatch)
        }
    }

    /// Forces every file (the engine does this at close; 4.9.8 leaves it to the OS).
    public func flush() { for file in files { file.flush() } }
    /// `IndexFile.bufferedDigest` of every file still buffering, by path: for hashing the
    /// directory on another thread while `startWriteback` or `flush` writes the slots.
    public func bufferedDigests() -> [String: IndexFileDigest] {
        var digests: [String: IndexFileDigest] = [:]
        for file in files { if let digest = file.bufferedDigest() { digests[file.mappedFile.path] = digest } }
        return digests
    }
    /// `MappedFile.startWriteback` for every file (then `flush` waits less).
    public func startWriteback() { for file in files { file.startWriteback() } }

    /// `deleteExpiredFile(offset)` (§16): non-last files whose endPhyOffset < `offset`.
    @discardableResult
    public func deleteExpiredFiles(commitLogMinOffset offset: Int64) -> Int {
        let doomed = fileList.withLock { list -> [IndexFile] in
            var removed: [IndexFile] = []
            while list.count > 1, list[0].endPhyOffset < offset { removed.append(list.removeFirst()) }
            return removed
        }
        for file in doomed { file.destroy() }
        return doomed.count
    }

    public func shutdown() {
        let list = fileList.withLock { list -> [IndexFile] in defer { list = [] }; return list }
        building = nil
        for file in list { file.unmap() }
    }

    /// `UtilAll.timeMillisToHumanString`: yyyyMMddHHmmssSSS in local time.
    public static func fileName(forMillis millis: Int64) -> String {
        var seconds = time_t(millis / 1000)
        var parts = tm()
        localtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return pad(parts.tm_year + 1900, 4) + pad(parts.tm_mon + 1, 2) + pad(parts.tm_mday, 2)
            + pad(parts.tm_hour, 2) + pad(parts.tm_min, 2) + pad(parts.tm_sec, 2) + pad(Int32(millis % 1000), 3)
    }

    public static func currentTimeMillis() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}
