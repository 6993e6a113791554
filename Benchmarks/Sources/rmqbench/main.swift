// rmqbench: throughput of the commitlog readers over a generated store.
//
//     rmqbench [--iterations N] [--list] [NAME-SUBSTRING ...]
//
// Each benchmark runs once to warm up (page cache, lazy globals), then N times (default 5,
// RMQ_BENCH_ITERATIONS); it reports the median and minimum wall clock, the median throughput
// in records/s (each benchmark's work is scaled to the store's message count) and bytes/s,
// and the peak resident set size while it ran (VmHWM, reset before each benchmark; it
// includes the mapped commitlog pages a walk touches).

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import RocketMQFormat
import RocketMQStore
import RocketMQTools
import StoreGenerator

struct Benchmark {
    var name: String
    var run: () throws -> Int  // returns records processed (checked against the store)
}

struct Result {
    var name: String
    var seconds: [Double]
    /// CPU time (user + system, all threads) of each pass: steadier than wall clock on a
    /// machine shared with other work.
    var cpuSeconds: [Double]
    var records: Int
    var bytes: Int64
    var peakRSS: Int  // bytes

    var median: Double {
        let sorted = seconds.sorted()
        let n = sorted.count
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
    }
    var minimum: Double { seconds.min() ?? 0 }
    var cpuMedian: Double {
        let sorted = cpuSeconds.sorted()
        let n = sorted.count
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
    }
    var recordsPerSecond: Double { Double(records) / median }
    var bytesPerSecond: Double { Double(bytes) / median }
}

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// CPU time of this process so far (user + system, all threads).
func cpuTime() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
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
]
if CRC32.isISALAvailable {
    benchmarks.append(Benchmark(name: "crc32 (isal)") { try crc(.isal) })
} else {
    print("note: ISA-L (libisal2) not found: crc32 (isal) skipped; record CRCs use zlib")
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
for bench in benchmarks {
    resetPeakRSS()
    let warm = try bench.run()
    precondition(warm == store.messages, "\(bench.name): \(warm) records, expected \(store.messages)")
    var seconds: [Double] = []
    var cpuSeconds: [Double] = []
    for _ in 0..<iterations {
        let start = now()
        let cpuStart = cpuTime()
        let count = try bench.run()
        seconds.append(now() - start)
        cpuSeconds.append(cpuTime() - cpuStart)
        precondition(count == store.messages)
    }
    let result = Result(name: bench.name, seconds: seconds, cpuSeconds: cpuSeconds, records: store.messages,
                        bytes: store.dataBytes, peakRSS: peakRSS())
    results.append(result)
    print("\(bench.name): median \(formatSeconds(result.median)) (min \(formatSeconds(result.minimum))), "
          + "\(formatRate(result.recordsPerSecond, unit: "records/s")), \(formatRate(result.bytesPerSecond, unit: "B/s")), "
          + "CPU \(formatSeconds(result.cpuMedian)), peak RSS \(result.peakRSS >> 20) MiB")
}

// MARK: - Table

print("")
print("| benchmark | median | min | records/s | GB/s | vs decode (checkCRC: true) | CPU / pass | peak RSS MiB |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
let reference = results.first { $0.name == "decode (checkCRC: true)" }
for result in results {
    let ratio = reference.map { format2(result.recordsPerSecond / $0.recordsPerSecond) + "x" } ?? "-"
    print("| \(result.name) | \(formatSeconds(result.median)) | \(formatSeconds(result.minimum)) | "
          + "\(format2(result.recordsPerSecond / 1e6)) M | \(format2(result.bytesPerSecond / 1e9)) | \(ratio) | "
          + "\(formatSeconds(result.cpuMedian)) | \(result.peakRSS >> 20) |")
}
close(devNull)
