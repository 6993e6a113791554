// Runs the built `rmqstore` binary on the fixtures and checks output, exit status and stderr.

import Foundation
import RocketMQFormat
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

struct RunResult {
    var status: Int32
    var signaled: Bool
    var stdout: String
    var stderr: String
    var stdoutLines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }
    var stderrLines: [String] { stderr.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }
}

enum CLI {
    /// The built executable: beside the test bundle, else under any scratch path of the package.
    static let binary: String? = {
        let fm = FileManager.default
        var candidates: [String] = []
        let argv0 = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        var dir = argv0.deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(dir.appendingPathComponent("rmqstore").path)
            dir = dir.deletingLastPathComponent()
        }
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("rmqstore").path)
        if let entries = try? fm.contentsOfDirectory(atPath: Fixtures.packageRoot) {
            for entry in entries.sorted() where entry.hasPrefix(".build") {
                candidates.append("\(Fixtures.packageRoot)/\(entry)/debug/rmqstore")
                candidates.append("\(Fixtures.packageRoot)/\(entry)/release/rmqstore")
            }
        }
        return candidates.first { path in
            var isDir: ObjCBool = false
            return fm.fileExists(atPath: path, isDirectory: &isDir) && !isDir.boolValue && fm.isExecutableFile(atPath: path)
        }
    }()

    static func run(_ arguments: [String]) throws -> RunResult {
        try run(executable: try #require(binary, "rmqstore binary not found"), arguments)
    }

    static func run(executable binary: String, _ arguments: [String], environment: [String: String] = [:]) throws -> RunResult {
        try runBounded(executable: binary, arguments, environment: environment, timeout: .infinity).result
    }

    /// `run` with `input` on standard input (`put`'s NDJSON).
    static func run(_ arguments: [String], input: Data) throws -> RunResult {
        try runBounded(executable: try #require(binary, "rmqstore binary not found"), arguments, input: input, timeout: .infinity).result
    }

    /// The one process runner of the CLI tests: output to files (no pipe to fill up), stdin
    /// from a file (`input`, empty by default), extra environment merged in, killed after
    /// `timeout` seconds.
    static func runBounded(
        executable binary: String, _ arguments: [String], environment: [String: String] = [:], input: Data = Data(),
        timeout: Double
    ) throws -> BoundedResult {
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("rmqstore-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let outURL = tmp.appendingPathComponent("out"), errURL = tmp.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        let inURL = tmp.appendingPathComponent("in")
        _ = FileManager.default.createFile(atPath: inURL.path, contents: input)
        let stdin = try FileHandle(forReadingFrom: inURL)
        defer { try? stdin.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.standardOutput = out
        process.standardError = err
        process.standardInput = stdin
        let start = Date()
        try process.run()
        var timedOut = false
        if timeout.isFinite {
            while process.isRunning {
                if Date().timeIntervalSince(start) > timeout {
                    timedOut = true
                    kill(process.processIdentifier, SIGKILL)
                    break
                }
                usleep(2_000)
            }
        }
        process.waitUntilExit()
        try out.close()
        try err.close()
        let result = RunResult(
            status: process.terminationStatus,
            signaled: !timedOut && process.terminationReason == .uncaughtSignal,
            stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
        return BoundedResult(result: result, timedOut: timedOut, seconds: Date().timeIntervalSince(start))
    }
}

/// The expected message lines of a scenario, parsed.
func expectedMessages(_ scenario: String) throws -> [[String: Any]] {
    try expectedLines(scenario).filter { $0["type"] as? String == "msg" }
}

func expectedLines(_ scenario: String) throws -> [[String: Any]] {
    let text = try String(contentsOfFile: Fixtures.expected(scenario, "messages.ndjson"), encoding: .utf8)
    return try text.split(separator: "\n").map { line in
        try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }
}

func jsonLines(_ result: RunResult) -> [[String: Any]] {
    result.stdoutLines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
}

func int64(_ any: Any?) -> Int64? { (any as? NSNumber)?.int64Value }

/// One line on stderr, `rmqstore: …` naming `path`, no crash, no backtrace.
func expectCleanError(_ result: RunResult, status: Int32, naming path: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(!result.signaled, "terminated by a signal", sourceLocation: sourceLocation)
    #expect(result.status == status, "exit status \(result.status), stderr: \(result.stderr)", sourceLocation: sourceLocation)
    #expect(result.stderrLines.count == 1, "stderr: \(result.stderr)", sourceLocation: sourceLocation)
    #expect(result.stderr.hasPrefix("rmqstore: "), "stderr: \(result.stderr)", sourceLocation: sourceLocation)
    #expect(result.stderr.contains(path), "stderr should name \(path): \(result.stderr)", sourceLocation: sourceLocation)
    expectNoBacktrace(result, sourceLocation: sourceLocation)
}

func expectNoBacktrace(_ result: RunResult, sourceLocation: SourceLocation = #_sourceLocation) {
    for marker in ["Fatal error", "Stack dump", "Backtrace", "backtrace", "Crash", "#0 ", "0x0000"] {
        #expect(!result.stderr.contains(marker), "stderr has \(marker): \(result.stderr)", sourceLocation: sourceLocation)
    }
}

/// A copy of a fixture store in a fresh temporary directory.
func copyStore(_ scenario: String) throws -> String {
    let store = try ScratchDirectory.make("rmqstore-store") + "/store"
    try FileManager.default.copyItem(atPath: Fixtures.store(scenario), toPath: store)
    return store
}

let basic = "rocketmq-4.9.8/basic"

@Suite struct CLITests {
    @Test func binaryIsFound() {
        #expect(CLI.binary != nil)
    }

    @Test func dumpTextAndJSONLineCounts() throws {
        let expected = try expectedLines(basic)
        let text = try CLI.run(["dump", Fixtures.store(basic)])
        #expect(text.status == 0)
        #expect(text.stderr.isEmpty)
        #expect(text.stdoutLines.count == expected.count)
        #expect(text.stdoutLines.first?.hasPrefix("file ") == true)

        let json = try CLI.run(["dump", "--format", "json", Fixtures.store(basic)])
        #expect(json.status == 0)
        let lines = jsonLines(json)
        #expect(lines.count == json.stdoutLines.count)
        #expect(lines.count == expected.count)
        #expect(lines.first?["type"] as? String == "file")
        for type in ["file", "msg", "blank", "end"] {
            #expect(lines.filter { $0["type"] as? String == type }.count
                    == expected.filter { $0["type"] as? String == type }.count, "\(type) lines")
        }
    }

    @Test func dumpByMessageId() throws {
        let messages = try expectedMessages(basic)
        for message in [messages[0], messages[messages.count / 2], messages[messages.count - 1]] {
            let id = try #require(message["offsetMsgId"] as? String)
            let result = try CLI.run(["dump", "--format", "json", "--msg-id", id, Fixtures.store(basic)])
            #expect(result.status == 0)
            let lines = jsonLines(result).filter { $0["type"] as? String == "msg" }
            #expect(lines.count == 1)
            #expect(lines.first?["offsetMsgId"] as? String == id)
            #expect(int64(lines.first?["physicalOffset"]) == int64(message["physicalOffset"]))
        }
    }

    func msgCount(_ extra: [String]) throws -> Int {
        let result = try CLI.run(["dump", "--format", "json"] + extra + [Fixtures.store(basic)])
        #expect(result.status == 0, "\(extra): \(result.stderr)")
        return jsonLines(result).filter { $0["type"] as? String == "msg" }.count
    }

    @Test func dumpFilters() throws {
        let messages = try expectedMessages(basic)
        func props(_ m: [String: Any]) -> [String: String] { m["properties"] as? [String: String] ?? [:] }

        let topicA = messages.filter { $0["topic"] as? String == "TopicA" }.count
        #expect(topicA > 0)
        #expect(try msgCount(["--topic", "TopicA"]) == topicA)

        #expect(try msgCount(["--queue", "1"]) == messages.filter { int64($0["queueId"]) == 1 }.count)
        #expect(try msgCount(["--topic", "TopicA", "--queue", "2"])
                == messages.filter { $0["topic"] as? String == "TopicA" && int64($0["queueId"]) == 2 }.count)

        func indexKeys(_ m: [String: Any]) -> [String] {
            var keys: [String] = []
            if let uniq = props(m)["UNIQ_KEY"] { keys.append(uniq) }
            if let k = props(m)["KEYS"] { keys += k.split(separator: " ").map(String.init) }
            return keys
        }
        let hot = messages.filter { indexKeys($0).contains("hot-key") }.count
        #expect(hot > 0)
        #expect(try msgCount(["--key", "hot-key"]) == hot)
        let uniq = try #require(props(messages[10])["UNIQ_KEY"])
        #expect(try msgCount(["--key", uniq]) == messages.filter { indexKeys($0).contains(uniq) }.count)

        let tag = try #require(messages.compactMap { props($0)["TAGS"] }.first)
        let tagged = messages.filter { m in
            guard let tags = props(m)["TAGS"] else { return false }
            return tags == tag || tags.components(separatedBy: "||").contains(tag)
        }.count
        #expect(tagged > 0)
        #expect(try msgCount(["--tag", tag]) == tagged)

        #expect(try msgCount(["--limit", "5"]) == 5)
        #expect(try msgCount(["--topic", "TopicB", "--limit", "3"]) == 3)
        #expect(try msgCount(["--limit", "0"]) == 0)

        let from = int64(messages[100]["physicalOffset"])!, to = int64(messages[400]["physicalOffset"])!
        #expect(try msgCount(["--from-offset", "\(from)", "--to-offset", "\(to)"]) == 300)
        #expect(try msgCount(["--from-offset", "\(from + 1)", "--to-offset", "\(to + 1)"]) == 300)

        let times = messages.compactMap { int64($0["storeTimestamp"]) }.sorted()
        let since = times[times.count / 4], until = times[3 * times.count / 4]
        let inRange = times.filter { $0 >= since && $0 < until }.count
        #expect(try msgCount(["--since", "\(since)", "--until", "\(until)"]) == inRange)
        #expect(try msgCount(["--since", "\(since)"]) == times.filter { $0 >= since }.count)
    }

    @Test func bodyBase64RoundTripsTheDigest() throws {
        let messages = try expectedMessages(basic)
        let message = try #require(messages.first { (int64($0["bodyLen"]) ?? 0) > 100 })
        let id = try #require(message["offsetMsgId"] as? String)
        let result = try CLI.run(["dump", "--format", "json", "--body", "base64", "--msg-id", id, Fixtures.store(basic)])
        #expect(result.status == 0)
        let line = try #require(jsonLines(result).first { $0["type"] as? String == "msg" })
        let base64 = try #require(line["bodyBase64"] as? String)
        let body = try #require(Data(base64Encoded: base64))
        let digest = [UInt8](body).withUnsafeBytes { SHA256.hexDigest($0) }
        #expect(digest == message["bodySha256"] as? String)
        #expect(body.count == Int(int64(message["bodyLen"]) ?? -1))
    }

    @Test func dumpOtherFiles() throws {
        let store = Fixtures.store(basic)
        let cq = try CLI.run(["dump", "--what", "consumequeue", "--format", "json", store])
        #expect(cq.status == 0)
        let cqExpected = try String(contentsOfFile: Fixtures.expected(basic, "consumequeue.ndjson"), encoding: .utf8)
            .split(separator: "\n").count
        #expect(jsonLines(cq).count == cqExpected)
        let cqText = try CLI.run(["dump", "--what", "consumequeue", store])
        #expect(cqText.status == 0)
        #expect(cqText.stdoutLines.count == cqExpected)

        let index = try CLI.run(["dump", "--what", "index", "--format", "json", store])
        #expect(index.status == 0)
        let indexJSON = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Fixtures.expected(basic, "index.json")))) as? [String: Any]
        let indexFiles = (indexJSON?["indexFiles"] as? [Any])?.count ?? -1
        #expect(jsonLines(index).count == indexFiles)
        #expect(try CLI.run(["dump", "--what", "index", store]).status == 0)

        let checkpoint = try CLI.run(["dump", "--what", "checkpoint", "--format", "json", store])
        #expect(checkpoint.status == 0)
        let cp = try #require(jsonLines(checkpoint).first)
        #expect(cp["type"] as? String == "checkpoint")
        #expect((int64(cp["physicMsgTimestamp"]) ?? 0) > 0)
        #expect(try CLI.run(["dump", "--what", "checkpoint", store]).stdoutLines.count == 5)

        let config = try CLI.run(["dump", "--what", "config", "--format", "json", store])
        #expect(config.status == 0)
        let configLines = jsonLines(config)
        #expect(!configLines.isEmpty)
        #expect(configLines.allSatisfy { $0["type"] as? String == "config" && $0["content"] != nil })
        #expect(try CLI.run(["dump", "--what", "config", store]).status == 0)
    }

    @Test func stat() throws {
        let good = try expectedMessages(basic).filter { ($0["storeCheck"] as? [String: Any])?["success"] as? Bool == true }.count
        let text = try CLI.run(["stat", Fixtures.store(basic)])
        #expect(text.status == 0)
        #expect(!text.stdoutLines.isEmpty)
        expectNoBacktrace(text)
        let json = try CLI.run(["stat", "--format", "json", Fixtures.store(basic)])
        #expect(json.status == 0)
        let lines = jsonLines(json)
        #expect(lines.count == json.stdoutLines.count)
        let total = try #require(lines.first { $0["type"] as? String == "total" })
        #expect(int64(total["messages"]) == Int64(good))
    }

    @Test(arguments: [[], ["dump"], ["stat"]])
    func help(_ command: [String]) throws {
        let result = try CLI.run(command + ["--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("USAGE") || result.stdout.contains("Usage"))
    }

    @Test func nonexistentPath() throws {
        let path = "/nonexistent/rmqstore-\(UUID().uuidString)"
        expectCleanError(try CLI.run(["dump", path]), status: 74, naming: path)
        expectCleanError(try CLI.run(["stat", path]), status: 74, naming: path)
    }

    @Test func directoryThatIsNotAStore() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rmqstore-empty-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        expectCleanError(try CLI.run(["dump", dir]), status: 64, naming: dir)
        expectCleanError(try CLI.run(["stat", dir]), status: 64, naming: dir)
    }

    @Test func regularFileAsStore() throws {
        let file = Fixtures.store(basic) + "/checkpoint"
        expectCleanError(try CLI.run(["dump", file]), status: 64, naming: file)
    }

    @Test func unknownOption() throws {
        let result = try CLI.run(["dump", "--no-such-option", Fixtures.store(basic)])
        #expect(result.status == 64)
        #expect(!result.signaled)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("--no-such-option"))
        expectNoBacktrace(result)
    }

    /// As root (which ignores permissions) the binary runs as `nobody` through setpriv(1), when present.
    @Test(.enabled(if: getuid() != 0 || FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"),
                   "root ignores file permissions and setpriv is not available"))
    func unreadableCommitLogFile() throws {
        let store = try copyStore("rocketmq-4.9.8/sync_flush")
        let tmp = (store as NSString).deletingLastPathComponent
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let file = store + "/commitlog/00000000000000000000"
        func run(_ args: [String]) throws -> RunResult {
            guard getuid() == 0 else { return try CLI.run(args) }
            let copy = tmp + "/rmqstore"
            if !FileManager.default.fileExists(atPath: copy) {
                try FileManager.default.copyItem(atPath: try #require(CLI.binary), toPath: copy)
            }
            for path in [tmp, store, store + "/commitlog", copy] { chmod(path, 0o755) }
            return try CLI.run(executable: "/usr/bin/setpriv",
                               ["--reuid=65534", "--regid=65534", "--clear-groups", copy] + args)
        }
        #expect(chmod(file, 0) == 0)
        defer { chmod(file, 0o644) }
        expectCleanError(try run(["dump", store]), status: 74, naming: "00000000000000000000")
        expectCleanError(try run(["stat", store]), status: 74, naming: "00000000000000000000")
    }

    @Test func zeroLengthExtraCommitLogFile() throws {
        let store = try copyStore("rocketmq-4.9.8/sync_flush")
        defer { try? FileManager.default.removeItem(atPath: (store as NSString).deletingLastPathComponent) }
        let names = try FileManager.default.contentsOfDirectory(atPath: store + "/commitlog").sorted()
        let last = try #require(names.last.flatMap { Int64($0) })
        var name = String(last + 65536)
        name = String(repeating: "0", count: 20 - name.count) + name
        #expect(FileManager.default.createFile(atPath: store + "/commitlog/" + name, contents: Data()))
        for args in [["dump", store], ["dump", "--format", "json", store], ["stat", store]] {
            let result = try CLI.run(args)
            #expect(!result.signaled, "\(args): crashed")
            #expect([0, 1, 64, 65, 74].contains(result.status), "\(args): status \(result.status)")
            expectNoBacktrace(result)
            if !result.stderr.isEmpty {
                #expect(result.stderrLines.allSatisfy { $0.hasPrefix("rmqstore: ") }, "\(result.stderr)")
                #expect(result.stderr.contains(name), "\(result.stderr)")
            }
            if result.status == 0 { #expect(!result.stdout.isEmpty) }
        }
    }
}
