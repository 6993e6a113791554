// Throughput of the commitlog readers over a generated store (see README.md).
//
// Each iteration is one full pass over the store. The store holds RMQ_BENCH_MESSAGES records
// (default 1,000,000) and the scaling factor is .mega, so the built-in throughput metric
// reads in records/s when the default count is used; the custom "records/s" and "MB/s"
// metrics are exact for any count.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Benchmark
import RocketMQFormat
import RocketMQStore
import RepairScenarios
import RocketMQTools
import StoreGenerator

struct Store: Sendable {
    var summary: StoreGenerator.Summary
    var layout: StoreLayout
    /// The data extent of each commitlog file (the last one's zero tail excluded).
    var dataRanges: [Range]
    struct Range: Sendable { var path: String; var count: Int }
}

/// Generated (or found) on first use, once per process.
let store: Store = {
    do {
        let summary = try StoreGenerator.fromEnvironment().prepare()
        let layout = try StoreLayout.discover(summary.root)
        let ranges = layout.commitLogFiles.map { file in
            Store.Range(path: file.path, count: Int(min(file.size, max(0, summary.dataBytes - file.fromOffset))))
        }
        return Store(summary: summary, layout: layout, dataRanges: ranges)
    } catch {
        fatalError("cannot prepare the benchmark store: \(error)")
    }
}()

let recordsPerSecond = BenchmarkMetric.custom("records/s", polarity: .prefersLarger, useScalingFactor: false)
let megabytesPerSecond = BenchmarkMetric.custom("MB/s", polarity: .prefersLarger, useScalingFactor: false)

func iterations() -> Int {
    if let value = getenv("RMQ_BENCH_ITERATIONS"), let n = Int(String(cString: value)), n > 0 { return n }
    return 5
}

func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Runs one full pass, checks it saw every record, and records the exact rates.
func pass(_ benchmark: Benchmark, _ work: () throws -> Int) throws {
    let start = monotonicNanoseconds()
    let records = try work()
    let seconds = Double(monotonicNanoseconds() - start) / 1e9
    precondition(records == store.summary.messages, "\(records) records, expected \(store.summary.messages)")
    benchmark.measurement(recordsPerSecond, Int(Double(records) / seconds))
    benchmark.measurement(megabytesPerSecond, Int(Double(store.summary.dataBytes) / seconds / 1e6))
}

func walk(_ options: RecordCheckOptions) throws -> Int {
    var count = 0
    var damaged = 0
    try CommitLogWalker(layout: store.layout, checkOptions: options).walk { event in
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
    for range in store.dataRanges {
        let region = try MappedRegion(path: range.path)
        region.withBytes { bytes in
            combined ^= CRC32.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<range.count]), using: implementation)
        }
    }
    blackHole(combined)
    return store.summary.messages
}

/// `rmqstore dump --format json` into /dev/null; `jobs` threads format the lines.
func dumpJSON(jobs: Int = CommitLogDump.defaultJobs, digests: Bool = true) throws -> Int {
    let devNull = open("/dev/null", O_WRONLY)
    precondition(devNull >= 0, "cannot open /dev/null")
    defer { close(devNull) }
    var dump = CommitLogDump()
    dump.format = .json
    dump.jobs = jobs
    dump.describer.includeDigests = digests
    let sink = LineSink(fileDescriptor: devNull)
    let summary = try dump.run(store.layout, into: sink)
    sink.flush()
    return summary.messages
}

/// `rmqstore verify` on the generated store (clean: commitlog, consume queues, index, checkpoint).
func verify(jobs: Int, areas: Set<VerifyOptions.Area> = Set(VerifyOptions.Area.allCases)) -> Int {
    var alarms = 0
    let options = VerifyOptions(areas: areas, jobs: jobs, lockHeld: false)
    let summary = StoreVerifier(layout: store.layout, options: options).run { if $0.severity > .info { alarms += 1 } }
    precondition(summary.verdict == .clean && alarms == 0, "verify found problems in the generated store")
    return summary.records
}

/// A repair pass: the scratch store made ready untimed, the repair timed, then put back.
func repair(_ benchmark: Benchmark, _ scenario: RepairScenario, expected: Int) throws {
    try scenario.prepareForPass()
    benchmark.startMeasurement()
    let start = monotonicNanoseconds()
    let records = try scenario.run()
    let seconds = Double(monotonicNanoseconds() - start) / 1e9
    benchmark.stopMeasurement()
    try scenario.finishPass()
    precondition(records == expected, "\(records) records kept, expected \(expected)")
    benchmark.measurement(recordsPerSecond, Int(Double(store.summary.messages) / seconds))
    benchmark.measurement(megabytesPerSecond, Int(Double(store.summary.dataBytes) / seconds / 1e6))
}

nonisolated(unsafe) let rebuildScenario: RepairScenario = {
    do { return try RepairScenarios.rebuild(from: store.summary) } catch { fatalError("cannot prepare the rebuild store: \(error)") }
}()
nonisolated(unsafe) let recoverScenario: RepairScenario = {
    do { return try RepairScenarios.recover(from: store.summary) } catch { fatalError("cannot prepare the recover store: \(error)") }
}()
nonisolated(unsafe) let recoverWithoutIndexScenario: RepairScenario = {
    do { return try RepairScenarios.recover(from: store.summary, indexLost: true) } catch { fatalError("cannot prepare the recover store: \(error)") }
}()

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .peakMemoryResident, .mallocCountTotal, recordsPerSecond, megabytesPerSecond],
        warmupIterations: 1,
        scalingFactor: .mega,
        maxDuration: .seconds(120),
        maxIterations: iterations(),
        setup: { _ = store }
    )

    Benchmark("decode (checkCRC: true)") { benchmark in
        try pass(benchmark) { try walk(.recovery) }
    }
    Benchmark("decode (checkCRC: false)") { benchmark in
        try pass(benchmark) { try walk(.dispatch) }
    }
    Benchmark("dump-json") { benchmark in
        try pass(benchmark) { try dumpJSON() }
    }
    Benchmark("dump-json (jobs: 1)") { benchmark in
        try pass(benchmark) { try dumpJSON(jobs: 1) }
    }
    Benchmark("dump-json (no digests, jobs: 1)") { benchmark in
        try pass(benchmark) { try dumpJSON(jobs: 1, digests: false) }
    }
    Benchmark("crc32 (zlib)") { benchmark in
        try pass(benchmark) { try crc(.zlib) }
    }
    for jobs in [1, 2] {
        Benchmark("verify (jobs \(jobs))") { benchmark in
            try pass(benchmark) { verify(jobs: jobs) }
        }
        Benchmark("verify --only commitlog (jobs \(jobs))") { benchmark in
            try pass(benchmark) { verify(jobs: jobs, areas: [.commitlog]) }
        }
    }
    // The repairs the issue times against RocketMQ (see RepairScenarios).
    Benchmark("rebuild --apply") { benchmark in
        try repair(benchmark, rebuildScenario, expected: store.summary.messages)
    }
    Benchmark("recover --apply") { benchmark in
        try repair(benchmark, recoverScenario, expected: store.summary.messages - 1)  // the damaged last record is cut
    }
    Benchmark("recover --apply (index lost)") { benchmark in
        try repair(benchmark, recoverWithoutIndexScenario, expected: store.summary.messages - 1)
    }
    if CRC32.isISALAvailable {
        Benchmark("crc32 (isal)") { benchmark in
            try pass(benchmark) { try crc(.isal) }
        }
    }
}
