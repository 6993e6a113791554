// enginebench: the store engine's put throughput, sync-flush latency and reopen times.
//
//     swift run -c release enginebench [DIR]      (DIR defaults to /tmp/rmqstore-enginebench)
//
// 1. async flush, 1 GiB commitlog files: put RMQ_BENCH_MESSAGES (default 1,000,000) messages of
//    1 KiB body from one thread; msgs/s and MB/s of the put loop (the dispatch catch-up and
//    close are timed separately). Peak RSS and heap in use before/after show the put path
//    does not grow the heap per message.
// 2. reopen: normal recovery (clean close) and abnormal recovery (abort file added).
// 3. sync flush (group commit) with 8 putting threads: msgs/s and per-put p50/p99 latency.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import RocketMQFormat
import RocketMQStore

func say(_ text: String) {
    let line = text + "\n"
    _ = line.withCString { write(1, $0, strlen($0)) }
}

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func statusValue(_ key: String) -> Int {
    let fd = open("/proc/self/status", O_RDONLY)
    guard fd >= 0 else { return 0 }
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: 8192)
    let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
    guard n > 0 else { return 0 }
    for line in String(decoding: buffer[0..<n], as: UTF8.self).split(separator: "\n") where line.hasPrefix(key + ":") {
        return (Int(line.filter(\.isNumber)) ?? 0) * 1024
    }
    return 0
}

func anonymousRSS() -> Int { statusValue("RssAnon") }

func mb(_ bytes: Int) -> String { String(Double(bytes / 10_000) / 100) + " MB" }
func fixed(_ value: Double, _ digits: Int = 2) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    return String((value * scale).rounded() / scale)
}

let directory = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "/tmp/rmqstore-enginebench"
let count = Int(getenvString("RMQ_BENCH_MESSAGES") ?? "") ?? 1_000_000
func getenvString(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
func removeTree(_ path: String) { _ = system("rm -rf '\(path)'") }

let storeHost = HostAddress(parsing: "192.0.2.10:10911")!
let bornHost = HostAddress(parsing: "192.0.2.22:50000")!
let body = [UInt8](repeating: 0x61, count: 1024)
let message = MessageRecord(
    queueId: 0, bornTimestamp: 1_700_000_000_000, bornHost: bornHost, storeHost: storeHost, body: body, topic: "BenchTopic",
    properties: Array("TAGS\u{1}TagA\u{2}UNIQ_KEY\u{1}C0000216214D46EE9D8347B760370396".utf8))

// 1. async puts.
removeTree(directory)
var config = MessageStoreConfig()
config.flushDiskType = .asyncFlush
let store = try MessageStore.open(directory + "/async", config: config)
var record = message
let heapBefore = anonymousRSS()
let start = now()
var bytes = 0
for index in 0..<count {
    record.queueId = Int32(index & 7)
    let result = store.putMessage(record)
    guard result.status == .putOK else { fatalError("put failed: \(result.status) \(result.reason ?? "")") }
    bytes += Int(result.appended!.size)
}
let putSeconds = now() - start
let heapAfter = anonymousRSS()
let dispatchStart = now()
_ = store.waitForDispatch(timeoutMillis: 600_000)
let dispatchSeconds = now() - dispatchStart
let closeStart = now()
try store.close()
let closeSeconds = now() - closeStart
say("async put: \(count) msgs x 1 KiB body (\(bytes / count) B records) in \(fixed(putSeconds)) s: "
      + "\(Int(Double(count) / putSeconds)) msgs/s, \(fixed(Double(bytes) / putSeconds / 1e6)) MB/s; "
      + "dispatch catch-up after the loop \(fixed(dispatchSeconds)) s, close (flush) \(fixed(closeSeconds)) s")
say("  anonymous RSS (heap) before/after the put loop: \(mb(heapBefore)) / \(mb(heapAfter)); peak RSS \(mb(statusValue("VmHWM"))) (includes mapped pages)")

// 2. reopen.
var reopenStart = now()
let normal = try MessageStore.open(directory + "/async")
let normalSeconds = now() - reopenStart
let normalPhases = "load \(normal.recovery.loadMilliseconds) ms, recover \(normal.recovery.recoverMilliseconds) ms, dispatch+start \(normal.recovery.dispatchMilliseconds) ms"
try normal.close()
reopenStart = now()
let normalAgain = try MessageStore.open(directory + "/async")
let normalAgainSeconds = now() - reopenStart
try normalAgain.close()
say("  second normal reopen: \(fixed(normalAgainSeconds, 3)) s")
_ = system("touch '\(directory)/async/abort'")
reopenStart = now()
let abnormal = try MessageStore.open(directory + "/async")
let abnormalSeconds = now() - reopenStart
let redispatched = abnormal.recovery.redispatchedRecords
let abnormalPhases = "load \(abnormal.recovery.loadMilliseconds) ms, recover \(abnormal.recovery.recoverMilliseconds) ms, dispatch+start \(abnormal.recovery.dispatchMilliseconds) ms"
try abnormal.close()
say("reopen \(mb(bytes)) store: normal \(fixed(normalSeconds, 3)) s, abnormal \(fixed(abnormalSeconds, 3)) s "
      + "(CRC-checked rescan of \(redispatched) records); normal: \(normalPhases); abnormal: \(abnormalPhases)")
removeTree(directory + "/async")

// 3. sync flush, 8 putters.
config.flushDiskType = .syncFlush
let syncStore = try MessageStore.open(directory + "/sync", config: config)
let threads = 8
let perThread = Int(getenvString("RMQ_BENCH_SYNC_MESSAGES") ?? "") ?? 5000
let syncStart = now()
let latencies = SyncPutters.run(store: syncStore, threads: threads, perThread: perThread, record: message)
let syncSeconds = now() - syncStart
try syncStore.close()
let all = latencies.sorted()
let total = threads * perThread
say("sync flush, \(threads) putters x \(perThread): \(Int(Double(total) / syncSeconds)) msgs/s; put latency p50 "
      + "\(fixed(all[all.count / 2] * 1000, 3)) ms, p99 \(fixed(all[all.count * 99 / 100] * 1000, 3)) ms, max \(fixed(all.last! * 1000, 3)) ms")
removeTree(directory)
