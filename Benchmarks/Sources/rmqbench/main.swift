// rmqbench: throughput of the commitlog readers over a generated store.
//
//     rmqbench [--iterations N] [--list] [NAME-SUBSTRING ...]
//
// Each benchmark runs once to warm up (page cache, lazy globals), then N times (default 5,
// RMQ_BENCH_ITERATIONS); it reports the median and minimum wall clock, the median throughput
// in records/s (each benchmark's work is scaled to the store's message count) and bytes/s,
// and the peak resident set size while it ran (VmHWM, reset before each benchmark; it
// includes the mapped commitlog pages a walk touches) and the peak anonymous resident memory
// (RssAnon sampled every millisecond by a helper thread: memory beyond the mapped file pages).

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Dispatch
import RocketMQFormat
import RocketMQStore
import RocketMQTools
import Synchronization
import RepairScenarios
import StoreGenerator

struct Benchmark {
    var name: String
    var run: () throws -> Int  // returns records processed (checked against the store)
    /// Untimed steps around each pass (a repair's scratch store made ready, then put back).
    var before: () throws -> Void = {}
    var after: () throws -> Void = {}
    /// Records a pass must report (nil: every record of the store).
    var expected: Int? = nil

    init(name: String, run: @escaping () throws -> Int) {
        self.name = name
        self.run = run
    }

    init(repair name: String, _ scenario: RepairScenario, expected: Int) {
        self.name = name
        self.run = scenario.run
        self.before = scenario.prepareForPass
        self.after = scenario.finishPass
        self.expected = expected
    }
}

struct Result {
    var name: String
    var seconds: [Double]
    var records: Int
    var bytes: Int64
    var peakRSS: Int  // bytes
    var peakAnonymous: Int  // bytes
    var cpuSeconds: [Double]  // process CPU time (all threads) per pass

    var medianCPU: Double {
        let sorted = cpuSeconds.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }

    var median: Double {
        let sorted = seconds.sorted()
        let n = sorted.count
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
    }
    var minimum: Double { seconds.min() ?? 0 }
    var recordsPerSecond: Double { Double(records) / median }
    var bytesPerSecond: Double { Double(bytes) / median }
}

/// CPU time of the whole process (user + system, every thread): on a shared machine the wall
/// clock also counts time spent waiting for a core.
func cpuNow() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Resets the peak RSS of this process (Linux: "5" to clear_refs).
func resetPeakRSS() {
    let fd = open("/proc/self/clear_refs", O_WRONLY)
    if fd >= 0 {
        _ = "5".withCString { write(fd, $0, 1) }
        close(fd)
    }
}

/// VmHWM in bytes, or getrusage's ru_maxrss when /proc is not there.
func peakRSS() -> Int {
    let fd = open("/proc/self/status", O_RDONLY)
    if fd >= 0 {
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 8192)
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
        if n > 0 {
            let text = String(decoding: buffer[0..<n], as: UTF8.self)
            for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
                let digits = line.filter(\.isNumber)
                if let kb = Int(digits) { return kb * 1024 }
            }
        }
    }
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return usage.ru_maxrss * 1024
}

/// One field of /proc/self/status in bytes (its value is in kB).
func statusField(_ name: String) -> Int? {
    let fd = open("/proc/self/status", O_RDONLY)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: 8192)
    let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
    guard n > 0 else { return nil }
    let text = String(decoding: buffer[0..<n], as: UTF8.self)
    for line in text.split(separator: "\n") where line.hasPrefix(name + ":") {
        if let kb = Int(line.filter(\.isNumber)) { return kb * 1024 }
    }
    return nil
}

/// Peak RssAnon (heap, stacks: everything but file-backed pages) while sampling runs.
final class AnonymousPeak: @unchecked Sendable {
    private var lock = pthread_mutex_t()
    private var peak = 0
    private var running = true
    private var thread = pthread_t()

    init() {
        pthread_mutex_init(&lock, nil)
        let unmanaged = Unmanaged.passRetained(self)
        pthread_create(&thread, nil, { context in
            let sampler = Unmanaged<AnonymousPeak>.fromOpaque(context!).takeRetainedValue()
            sampler.loop()
            return nil
        }, unmanaged.toOpaque())
    }

    private func loop() {
        while true {
            let value = statusField("RssAnon") ?? 0
            pthread_mutex_lock(&lock)
            peak = max(peak, value)
            let keepGoing = running
            pthread_mutex_unlock(&lock)
            if !keepGoing { return }
            usleep(1000)
        }
    }

    /// Returns the peak since the last reset and starts a new measurement.
    func reset() -> Int {
        pthread_mutex_lock(&lock)
        defer { peak = statusField("RssAnon") ?? 0; pthread_mutex_unlock(&lock) }
        return peak
    }

    func stop() {
        pthread_mutex_lock(&lock)
        running = false
        pthread_mutex_unlock(&lock)
        pthread_join(thread, nil)
    }
}

func formatRate(_ value: Double, unit: String) -> String {
    if value >= 1e9 { return String(format2(value / 1e9)) + " G" + unit }
    if value >= 1e6 { return String(format2(value / 1e6)) + " M" + unit }
    if value >= 1e3 { return String(format2(value / 1e3)) + " k" + unit }
    return format2(value) + " " + unit
}

func format2(_ value: Double) -> String {
    let scaled = (value * 100).rounded() / 100
    var text = "\(scaled)"
    if let dot = text.firstIndex(of: ".") {
        let decimals = text.distance(from: dot, to: text.endIndex) - 1
        if decimals < 2 { text += String(repeating: "0", count: 2 - decimals) }
    }
    return text
}

func formatSeconds(_ value: Double) -> String {
    value < 1 ? format2(value * 1000) + " ms" : format2(value) + " s"
}


// MARK: - Arguments

var iterations = 5
if let value = getenv("RMQ_BENCH_ITERATIONS"), let n = Int(String(cString: value)), n > 0 { iterations = n }
var filters: [String] = []
var listOnly = false
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--iterations", "-n":
        if let next = arguments.next(), let n = Int(next), n > 0 { iterations = n }
    case "--list": listOnly = true
    case "--help", "-h":
        print("usage: rmqbench [--iterations N] [--list] [NAME-SUBSTRING ...]")
        print("environment: RMQ_BENCH_MESSAGES (1000000), RMQ_BENCH_FILE_SIZE (1G), RMQ_BENCH_BODY_SIZE (1024),")
        print("             RMQ_BENCH_DIR (/tmp/rmqstore-bench-...), RMQ_BENCH_ITERATIONS (5)")
        exit(0)
    default: filters.append(argument)
    }
}

// MARK: - Store

let generator = StoreGenerator.fromEnvironment()
let started = now()
let store: StoreGenerator.Summary
do {
    store = try generator.prepare()
} catch {
    print("rmqbench: cannot prepare the store: \(error)")
    exit(1)
}
print("store: \(store) in \(format2(now() - started)) s")
let layout = try StoreLayout.discover(store.root)

/// The data extent of each commitlog file (the whole file but for the last one's zero tail).
let dataRanges: [(path: String, count: Int)] = layout.commitLogFiles.map { file in
    let end = min(file.size, max(0, store.dataBytes - file.fromOffset))
    return (file.path, Int(end))
}

// MARK: - Benchmarks

func walk(_ options: RecordCheckOptions) throws -> Int {
    var count = 0
    var damaged = 0
    try CommitLogWalker(layout: layout, checkOptions: options).walk { event in
        if case .message(_, let record) = event {
            count += 1
            if !record.check.success { damaged += 1 }
        }
        return .proceed
    }
    precondition(damaged == 0, "\(damaged) records failed their check")
    return count
}

func crc(_ implementation: CRC32.Implementation) throws -> Int {
    var combined: UInt32 = 0
    for range in dataRanges {
        let region = try MappedRegion(path: range.path)
        region.withBytes { bytes in
            combined ^= CRC32.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<range.count]), using: implementation)
        }
    }
    blackHole(combined)
    return store.messages
}

func verify(jobs: Int, areas: Set<VerifyOptions.Area> = Set(VerifyOptions.Area.allCases)) -> Int {
    var findings: [Finding] = []
    let options = VerifyOptions(areas: areas, jobs: jobs, lockHeld: false)
    let summary = StoreVerifier(layout: layout, options: options).run { findings.append($0) }
    precondition(summary.verdict == .clean && findings.filter({ $0.severity > .info }).isEmpty,
                 "verify found problems in the generated store: \(findings.prefix(5))")
    return summary.records
}

/// ISA-L CRC over the same bytes, the files split into `threads` interleaved chunks of 64 MiB:
/// the ceiling for a parallel verify on this machine.
func crcParallel(threads: Int) throws -> Int {
    let regions = try dataRanges.map { try MappedRegion(path: $0.path) }
    let chunk = 64 << 20
    var work: [(Int, Int, Int)] = []  // region, start, count
    for (i, range) in dataRanges.enumerated() {
        var start = 0
        while start < range.count {
            work.append((i, start, min(chunk, range.count - start)))
            start += chunk
        }
    }
    let chunks = work
    let results = Mutex<UInt32>(0)
    DispatchQueue.concurrentPerform(iterations: threads) { thread in
        var index = thread
        var combined: UInt32 = 0
        while index < chunks.count {
            let (region, start, count) = chunks[index]
            combined ^= CRC32.checksum(
                UnsafeRawBufferPointer(rebasing: regions[region].bytes[start..<(start + count)]), using: .isal)
            index += threads
        }
        results.withLock { $0 ^= combined }
    }
    blackHole(results.withLock { $0 })
    return store.messages
}

@inline(never)
func blackHole<T>(_ value: T) { withExtendedLifetime(value) {} }

let devNull = open("/dev/null", O_WRONLY)
precondition(devNull >= 0, "cannot open /dev/null")

/// `rmqstore dump --format json` into /dev/null; `jobs` threads format the lines.
func dumpJSON(jobs: Int, digests: Bool = true) throws -> Int {
    var dump = CommitLogDump()
    dump.format = .json
    dump.jobs = jobs
    dump.describer.includeDigests = digests
    let sink = LineSink(fileDescriptor: devNull)
    let summary = try dump.run(layout, into: sink)
    sink.flush()
    return summary.messages
}

var benchmarks: [Benchmark] = [
    Benchmark(name: "decode (checkCRC: true)") { try walk(.recovery) },
    Benchmark(name: "decode (checkCRC: false)") { try walk(.dispatch) },
    Benchmark(name: "dump-json") { try dumpJSON(jobs: CommitLogDump.defaultJobs) },
    Benchmark(name: "dump-json (jobs: 1)") { try dumpJSON(jobs: 1) },
    Benchmark(name: "dump-json (no digests, jobs: 1)") { try dumpJSON(jobs: 1, digests: false) },
    Benchmark(name: "crc32 (zlib)") { try crc(.zlib) },
    Benchmark(name: "verify (jobs 1)") { verify(jobs: 1) },
    Benchmark(name: "verify (jobs 2)") { verify(jobs: 2) },
    Benchmark(name: "verify --only commitlog (jobs 1)") { verify(jobs: 1, areas: [.commitlog]) },
    Benchmark(name: "verify --only commitlog (jobs 2)") { verify(jobs: 2, areas: [.commitlog]) },
]
if CRC32.isISALAvailable {
    benchmarks.append(Benchmark(name: "crc32 (isal)") { try crc(.isal) })
    benchmarks.append(Benchmark(name: "crc32 (isal, 2 threads)") { try crcParallel(threads: 2) })
} else {
    print("note: ISA-L (libisal2) not found: crc32 (isal) skipped; record CRCs use zlib")
}

if filters.isEmpty || filters.contains(where: { "rebuild --apply".contains($0) }) {
    benchmarks.append(Benchmark(repair: "rebuild --apply", try RepairScenarios.rebuild(from: store), expected: store.messages))
}
if filters.isEmpty || filters.contains(where: { "recover --apply".contains($0) }) {
    // The last record is damaged: recover keeps the others.
    benchmarks.append(Benchmark(repair: "recover --apply", try RepairScenarios.recover(from: store), expected: store.messages - 1))
}
if filters.isEmpty || filters.contains(where: { "recover --apply (index lost)".contains($0) }) {
    benchmarks.append(Benchmark(repair: "recover --apply (index lost)", try RepairScenarios.recover(from: store, indexLost: true),
                                expected: store.messages - 1))
}
if !filters.isEmpty {
    benchmarks = benchmarks.filter { bench in filters.contains { bench.name.contains($0) } }
}
if listOnly {
    for bench in benchmarks { print(bench.name) }
    exit(0)
}

print("CRC-32 used by the record check: \(CRC32.implementation.rawValue); iterations: \(iterations) (+1 warm-up)")
var results: [Result] = []
let anonymous = AnonymousPeak()
for bench in benchmarks {
    resetPeakRSS()
    _ = anonymous.reset()
    let expected = bench.expected ?? store.messages
    try bench.before()
    let warm = try bench.run()
    try bench.after()
    precondition(warm == expected, "\(bench.name): \(warm) records, expected \(expected)")
    var seconds: [Double] = []
    var cpu: [Double] = []
    for _ in 0..<iterations {
        try bench.before()
        let start = now()
        let cpuStart = cpuNow()
        let count = try bench.run()
        seconds.append(now() - start)
        cpu.append(cpuNow() - cpuStart)
        try bench.after()
        precondition(count == expected)
    }
    let result = Result(name: bench.name, seconds: seconds, records: store.messages, bytes: store.dataBytes,
                        peakRSS: peakRSS(), peakAnonymous: anonymous.reset(), cpuSeconds: cpu)
    results.append(result)
    print("\(bench.name): median \(formatSeconds(result.median)) (min \(formatSeconds(result.minimum))), "
          + "\(formatRate(result.recordsPerSecond, unit: "records/s")), \(formatRate(result.bytesPerSecond, unit: "B/s")), "
          + "peak RSS \(result.peakRSS >> 20) MiB, peak RssAnon \(result.peakAnonymous >> 20) MiB")
}
anonymous.stop()

// MARK: - Table

print("")
print("| benchmark | median | min | records/s | GB/s | vs decode (checkCRC: true) | vs crc32 (best) | CPU time | GB per CPU-s | peak RSS MiB | peak RssAnon MiB |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
let reference = results.first { $0.name == "decode (checkCRC: true)" }
// The raw CRC-32 rate over the same bytes in this run: the ceiling for a CRC-checking pass.
let crcReference = results.filter { $0.name.hasPrefix("crc32") }.max { $0.bytesPerSecond < $1.bytesPerSecond }
for result in results {
    let ratio = reference.map { format2(result.recordsPerSecond / $0.recordsPerSecond) + "x" } ?? "-"
    let crcRatio = crcReference.map { format2(result.bytesPerSecond / $0.bytesPerSecond) + "x" } ?? "-"
    print("| \(result.name) | \(formatSeconds(result.median)) | \(formatSeconds(result.minimum)) | "
          + "\(format2(result.recordsPerSecond / 1e6)) M | \(format2(result.bytesPerSecond / 1e9)) | \(ratio) | \(crcRatio) | "
          + "\(formatSeconds(result.medianCPU)) | \(format2(Double(result.bytes) / result.medianCPU / 1e9)) | "
          + "\(result.peakRSS >> 20) | \(result.peakAnonymous >> 20) |")
}
close(devNull)
