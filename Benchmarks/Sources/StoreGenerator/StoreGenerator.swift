// Writes a synthetic but valid RocketMQ store for the benchmarks: commitlog, consume queues,
// one index file and the checkpoint, as a cleanly shut down 4.9.8 broker leaves them.
//
// N messages with seeded random bodies, TAGS/KEYS/UNIQ_KEY properties, a few topics and
// queues with consecutive queue offsets, PHYSICALOFFSET = the record's position in the log and
// the body CRC computed. Records are laid out by the writer rule of FORMAT.md §2.4: a record
// goes into a file only if its length + 8 fits; otherwise an 8-byte blank marker ends the file
// and the record starts the next one. Files are named by their 20-digit start offset and are
// full size (the tail of the last one is zero, as in a preallocated mapped file).
//
// The store is written once: a marker file holding the parameters and totals is written last,
// and a later run with the same parameters finds it and reuses the store.
//
// Consume queues and the index are what the dispatcher would write (FORMAT.md §7.1, §8.3–8.4):
// one 20-byte unit per record in its queue's file (default 300,000 units per file), and one
// index entry per key (UNIQ_KEY, then each KEYS token) through IndexFileWriter.putKey into a
// default-size (420,000,040-byte, sparse) index file, so that `rmqstore verify` finds a clean
// store and checks every unit and entry against its record.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import RocketMQFormat

public struct StoreGenerator: Sendable {
    public var messages: Int
    public var fileSize: Int
    public var bodySize: Int
    public var topics: Int
    public var queuesPerTopic: Int
    public var seed: UInt64
    /// The store root (holding commitlog/).
    public var root: String

    public static let markerName = ".rmqbench-complete"

    /// What the generated store holds.
    public struct Summary: Sendable, CustomStringConvertible {
        public var messages: Int
        /// Bytes of records and blank markers, i.e. the commitlog's logical end.
        public var dataBytes: Int64
        public var files: Int
        public var blanks: Int
        public var root: String
        public var reused: Bool

        public var description: String {
            "\(messages) messages, \(dataBytes) bytes of data in \(files) file(s) (\(blanks) blank marker(s)) at \(root)"
                + (reused ? " (reused)" : " (generated)")
        }
    }

    public init(messages: Int = 1_000_000, fileSize: Int = 1 << 30, bodySize: Int = 1024, topics: Int = 4,
                queuesPerTopic: Int = 4, seed: UInt64 = 0x5EED_0F_4D51, root: String? = nil) {
        self.messages = messages
        self.fileSize = fileSize
        self.bodySize = bodySize
        self.topics = topics
        self.queuesPerTopic = queuesPerTopic
        self.seed = seed
        self.root = root ?? "/tmp/rmqstore-bench-\(messages)m-\(fileSize)f-\(bodySize)b"
    }

    /// Parameters from the environment: RMQ_BENCH_MESSAGES, RMQ_BENCH_FILE_SIZE (bytes, or with
    /// a K/M/G suffix), RMQ_BENCH_BODY_SIZE, RMQ_BENCH_DIR.
    public static func fromEnvironment() -> StoreGenerator {
        var generator = StoreGenerator()
        if let value = environment("RMQ_BENCH_MESSAGES"), let n = parseSize(value) { generator.messages = n }
        if let value = environment("RMQ_BENCH_FILE_SIZE"), let n = parseSize(value) { generator.fileSize = n }
        if let value = environment("RMQ_BENCH_BODY_SIZE"), let n = parseSize(value) { generator.bodySize = n }
        generator.root = environment("RMQ_BENCH_DIR")
            ?? "/tmp/rmqstore-bench-\(generator.messages)m-\(generator.fileSize)f-\(generator.bodySize)b"
        return generator
    }

    static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        let text = String(cString: value)
        return text.isEmpty ? nil : text
    }

    /// "1000", "256M", "1G", "64k" (powers of 1024); "1_000_000" allowed.
    public static func parseSize(_ text: String) -> Int? {
        var digits = text.replacingUnderscores()
        var scale = 1
        switch digits.last.map({ Character($0.lowercased()) }) {
        case "k": scale = 1 << 10
        case "m": scale = 1 << 20
        case "g": scale = 1 << 30
        default: break
        }
        if scale != 1 { digits.removeLast() }
        guard let value = Int(digits), value >= 0 else { return nil }
        return value * scale
    }

    var markerText: String {
        "messages=\(messages) fileSize=\(fileSize) bodySize=\(bodySize) topics=\(topics) queues=\(queuesPerTopic) seed=\(seed)"
            + " layout=commitlog+consumequeue(sparse)+index+checkpoint"
    }

    /// Returns the existing store when its marker matches, else writes it.
    public func prepare(log: (String) -> Void = { print($0) }) throws -> Summary {
        if let existing = readMarker() { return existing }
        log("generating store: \(markerText) at \(root)")
        return try generate()
    }

    func readMarker() -> Summary? {
        guard let bytes = try? readWholeFile(root + "/" + Self.markerName) else { return nil }
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
        guard lines.count >= 2, lines[0] == markerText else { return nil }
        var values: [String: Int64] = [:]
        for field in lines[1].split(separator: " ") {
            let parts = field.split(separator: "=", maxSplits: 1)
            if parts.count == 2, let v = Int64(parts[1]) { values[String(parts[0])] = v }
        }
        guard let data = values["dataBytes"], let files = values["files"], let blanks = values["blanks"] else { return nil }
        return Summary(messages: messages, dataBytes: data, files: Int(files), blanks: Int(blanks), root: root, reused: true)
    }

    /// Writes the store (replacing the commitlog files of an earlier, incomplete run).
    public func generate() throws -> Summary {
        precondition(fileSize >= 4096, "file size too small")
        try makeDirectory(root)
        try makeDirectory(root + "/commitlog")
        unlink(root + "/" + Self.markerName)
        // Remove commitlog files an earlier run left behind.
        if let dir = opendir(root + "/commitlog") {
            var names: [String] = []
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
                }
                if name != "." && name != ".." { names.append(name) }
            }
            closedir(dir)
            for name in names { unlink(root + "/commitlog/" + name) }
        }

        var random = SplitMix64(seed: seed)
        let topicNames = (0..<topics).map { "BenchTopic\($0)" }
        var queueOffsets = [Int64](repeating: 0, count: topics * queuesPerTopic)
        let bornHost = HostAddress(address: [10, 0, 0, 7], port: 51_234)
        let storeHost = HostAddress(address: [10, 0, 0, 1], port: 10_911)
        let tags = ["TagA", "TagB", "TagC", "TagD", "TagE"]
        var body = [UInt8](repeating: 0, count: bodySize)
        let baseTime: Int64 = 1_767_225_600_000  // 2026-01-01T00:00:00Z

        let writer = try FileWriter(directory: root + "/commitlog", fileSize: fileSize)
        var queues = QueueWriter(root: root, topics: topicNames, queuesPerTopic: queuesPerTopic)
        let indexFile = try IndexWriter(directory: root + "/index", name: "20260101000000000")
        var lastStoreTimestamp: Int64 = 0
        var blanks = 0
        var position: Int64 = 0  // logical offset of the write position
        for index in 0..<messages {
            // Body: seeded random bytes.
            body.withUnsafeMutableBytes { raw in
                var i = 0
                while i + 8 <= raw.count {
                    raw.storeBytes(of: random.next(), toByteOffset: i, as: UInt64.self)
                    i += 8
                }
                if i < raw.count {
                    let last = random.next()
                    for j in i..<raw.count { raw[j] = UInt8(truncatingIfNeeded: last >> (8 * UInt64(j - i))) }
                }
            }
            let topicIndex = index % topics
            let queueId = Int(random.next() % UInt64(queuesPerTopic))
            let slot = topicIndex * queuesPerTopic + queueId
            let queueOffset = queueOffsets[slot]
            queueOffsets[slot] += 1
            let uniq = hex(random.next()) + hex(random.next())
            let properties = MessageProperties.encode([
                (key: MessageProperties.tags, value: tags[index % tags.count]),
                (key: MessageProperties.keys, value: "order-\(index) user-\(index % 9973)"),
                (key: MessageProperties.uniqueKey, value: uniq),
                (key: MessageProperties.wait, value: "true"),
            ])
            let born = baseTime + Int64(index)
            var record = MessageRecord(
                queueId: Int32(queueId), queueOffset: queueOffset, physicalOffset: 0,
                bornTimestamp: born, bornHost: bornHost, storeTimestamp: born + 1, storeHost: storeHost,
                body: body, topic: topicNames[topicIndex], properties: properties)
            let length = record.encodedLength
            precondition(length + BlankMarker.length <= fileSize, "a record does not fit in a file")
            // End of file rule (FORMAT.md §2.4).
            let remaining = writer.remainingInFile
            if length + BlankMarker.length > remaining {
                try writer.append(BlankMarker.encode(totalSize: Int32(remaining)))
                try writer.finishFile()
                position += Int64(remaining)
                blanks += 1
            }
            record.physicalOffset = position
            try writer.append(length) { record.encodeUnchecked(into: $0) }
            let tag = tags[index % tags.count]
            queues.append(slot: slot, unit: ConsumeQueueUnit(
                physicalOffset: position, size: Int32(length), tagsCode: Int64(JavaString.hashCode(tag))))
            let topic = topicNames[topicIndex]
            for key in [uniq, "order-\(index)", "user-\(index % 9973)"] {
                precondition(indexFile.putKey(IndexKey(topic: topic, key: key), phyOffset: position, storeTimestamp: born + 1),
                             "index file full")
            }
            lastStoreTimestamp = born + 1
            position += Int64(length)
        }
        let files = try writer.close()
        try queues.write()
        try indexFile.close()
        // Clean shutdown: no abort file; the checkpoint names the last store time.
        var checkpoint = [UInt8](repeating: 0, count: StoreCheckpoint.fileSize)
        checkpoint.withUnsafeMutableBytes { raw in
            _ = StoreCheckpoint(physicMsgTimestamp: lastStoreTimestamp, logicsMsgTimestamp: lastStoreTimestamp).store(into: raw)
        }
        try writeWholeFile(root + "/checkpoint", checkpoint)
        unlink(root + "/abort")

        let summaryLine = "dataBytes=\(position) files=\(files) blanks=\(blanks)"
        try writeWholeFile(root + "/" + Self.markerName, Array((markerText + "\n" + summaryLine + "\n").utf8))
        return Summary(messages: messages, dataBytes: position, files: files, blanks: blanks, root: root, reused: false)
    }
}

/// Consume queue units per queue, kept in memory (20 bytes a record) and written at the end as
/// full-size files of `unitsPerFile` units (the tail of the last file stays zero).
struct QueueWriter {
    let root: String
    let topics: [String]
    let queuesPerTopic: Int
    let unitsPerFile = ConsumeQueueUnit.defaultUnitsPerFile
    var units: [[UInt8]]

    init(root: String, topics: [String], queuesPerTopic: Int) {
        self.root = root
        self.topics = topics
        self.queuesPerTopic = queuesPerTopic
        units = Array(repeating: [], count: topics.count * queuesPerTopic)
    }

    mutating func append(slot: Int, unit: ConsumeQueueUnit) {
        units[slot].append(contentsOf: unit.encoded())
    }

    func write() throws {
        try makeDirectory(root + "/consumequeue")
        let fileSize = unitsPerFile * ConsumeQueueUnit.size
        for (t, topic) in topics.enumerated() {
            try makeDirectory(root + "/consumequeue/" + topic)
            for queueId in 0..<queuesPerTopic {
                let directory = root + "/consumequeue/\(topic)/\(queueId)"
                try makeDirectory(directory)
                let bytes = units[t * queuesPerTopic + queueId]
                var start = 0
                repeat {
                    let end = min(bytes.count, start + fileSize)
                    let name = String(repeating: "0", count: max(0, 20 - String(start).count)) + String(start)
                    // Full size but sparse past the units, like RocketMQ's preallocated mapped file.
                    try writeWholeFile(directory + "/" + name, Array(bytes[start..<end]), size: fileSize)
                    start += fileSize
                } while start < bytes.count
            }
        }
    }
}

/// One default-size index file, mapped read-write and filled by `IndexFileWriter.putKey`.
final class IndexWriter {
    let writer: IndexFileWriter
    private let base: UnsafeMutableRawPointer
    private let size: Int

    init(directory: String, name: String) throws {
        try makeDirectory(directory)
        let path = directory + "/" + name
        let layout = IndexFileLayout.default
        size = layout.fileSize
        let fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw GeneratorError("open \(path): \(String(cString: strerror(errno)))") }
        defer { Glibc.close(fd) }
        guard ftruncate(fd, off_t(size)) == 0 else { throw GeneratorError("ftruncate \(path)") }
        guard let pointer = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), pointer != MAP_FAILED else {
            throw GeneratorError("mmap \(path): \(String(cString: strerror(errno)))")
        }
        base = pointer
        writer = try IndexFileWriter(bytes: UnsafeMutableRawBufferPointer(start: pointer, count: size), layout: layout)
    }

    func putKey(_ key: IndexKey, phyOffset: Int64, storeTimestamp: Int64) -> Bool {
        writer.putKey(key, phyOffset: phyOffset, storeTimestamp: storeTimestamp)
    }

    func close() throws {
        guard msync(base, size, MS_SYNC) == 0 else { throw GeneratorError("msync index") }
        munmap(base, size)
    }
}

/// Buffered writer of consecutive commitlog files of `fileSize` bytes each.
final class FileWriter {
    let directory: String
    let fileSize: Int
    private var fd: Int32 = -1
    private var fileStart: Int64 = 0
    private var inFile = 0  // bytes written (or buffered) in the current file
    private var buffer: UnsafeMutableRawBufferPointer
    private var buffered = 0
    private var files = 0

    init(directory: String, fileSize: Int) throws {
        self.directory = directory
        self.fileSize = fileSize
        buffer = .allocate(byteCount: 8 << 20, alignment: 4096)
        try openFile()
    }

    deinit { buffer.deallocate() }

    var remainingInFile: Int { fileSize - inFile }

    private func openFile() throws {
        let name = String(repeating: "0", count: max(0, 20 - String(fileStart).count)) + String(fileStart)
        let path = directory + "/" + name
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw GeneratorError("open \(path): \(String(cString: strerror(errno)))") }
        // Full size from the start, like a preallocated mapped file (sparse zeros).
        guard ftruncate(fd, off_t(fileSize)) == 0 else { throw GeneratorError("ftruncate \(path)") }
        inFile = 0
        files += 1
    }

    func append(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { raw in
            try append(raw.count) { target in target.copyMemory(from: raw); return raw.count }
        }
    }

    func append(_ count: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Int) throws {
        precondition(inFile + count <= fileSize)
        if buffered + count > buffer.count { try flush() }
        precondition(count <= buffer.count, "record larger than the write buffer")
        let target = UnsafeMutableRawBufferPointer(rebasing: buffer[buffered..<(buffered + count)])
        let written = fill(target)
        precondition(written == count)
        buffered += count
        inFile += count
    }

    private func flush() throws {
        var done = 0
        let fileOffset = inFile - buffered
        while done < buffered {
            let n = pwrite(fd, buffer.baseAddress! + done, buffered - done, off_t(fileOffset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw GeneratorError("write: \(String(cString: strerror(errno)))")
            }
            done += n
        }
        buffered = 0
    }

    /// Ends the current file and opens the next.
    func finishFile() throws {
        try flush()
        Glibc.close(fd)
        fileStart += Int64(fileSize)
        try openFile()
    }

    /// Flushes and closes; returns how many files were written.
    func close() throws -> Int {
        try flush()
        if fd >= 0 { Glibc.close(fd); fd = -1 }
        return files
    }
}

public struct GeneratorError: Error, CustomStringConvertible {
    public var description: String
    init(_ text: String) { description = text }
}

/// SplitMix64: a tiny seeded generator (deterministic across runs and platforms).
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

private func hex(_ value: UInt64) -> String {
    let text = String(value, radix: 16, uppercase: true)
    return String(repeating: "0", count: 16 - text.count) + text
}

private extension String {
    func replacingUnderscores() -> String { String(filter { $0 != "_" }) }
}

func makeDirectory(_ path: String) throws {
    if mkdir(path, 0o755) != 0 && errno != EEXIST {
        throw GeneratorError("mkdir \(path): \(String(cString: strerror(errno)))")
    }
}

func readWholeFile(_ path: String) throws -> [UInt8] {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { throw GeneratorError("open \(path)") }
    defer { close(fd) }
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
        if n <= 0 { break }
        out.append(contentsOf: chunk[0..<n])
    }
    return out
}

func writeWholeFile(_ path: String, _ bytes: [UInt8], size: Int? = nil) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { throw GeneratorError("open \(path)") }
    defer { close(fd) }
    let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
    guard n == bytes.count else { throw GeneratorError("write \(path)") }
    if let size, ftruncate(fd, off_t(size)) != 0 { throw GeneratorError("ftruncate \(path)") }
}
