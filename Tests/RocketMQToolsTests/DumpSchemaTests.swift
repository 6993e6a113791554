// The dump's JSON lines against the fixtures' expected/ files (the 4.9.8 / 5.3.3 code's own view).

import Foundation
import RocketMQFormat
import RocketMQStore
import RocketMQTools
import TestSupport
import Testing

/// A JSON value with exact integer comparison (JSONSerialization's NSNumber, normalised).
indirect enum JV: Equatable, CustomStringConvertible {
    case null, bool(Bool), int(Int64), double(Double), string(String), array([JV]), object([String: JV])

    init(_ any: Any) {
        switch any {
        case is NSNull: self = .null
        case let s as String: self = .string(s)
        case let n as NSNumber:
            #if canImport(Darwin)
            if CFGetTypeID(n) == CFBooleanGetTypeID() { self = .bool(n.boolValue); return }
            #endif
            let type = String(cString: n.objCType)
            if type == "c" || type == "B" { self = .bool(n.boolValue); return }
            if type == "d" || type == "f" {
                let d = n.doubleValue
                if d.rounded() == d, abs(d) < 9.2e18 { self = .int(Int64(d)) } else { self = .double(d) }
                return
            }
            if type == "Q", n.uint64Value > UInt64(Int64.max) { self = .double(n.doubleValue); return }
            self = .int(n.int64Value)
        case let a as [Any]: self = .array(a.map(JV.init))
        case let o as [String: Any]: self = .object(o.mapValues(JV.init))
        default: self = .string("<unknown \(type(of: any))>")
        }
    }

    static func parse(_ line: String) -> [String: JV]? {
        guard let data = line.data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]),
              case .object(let dict) = JV(object) else { return nil }
        return dict
    }

    /// Booleans may come back as 0/1 numbers on some Foundations; compare those loosely.
    static func == (a: JV, b: JV) -> Bool {
        switch (a, b) {
        case (.null, .null): true
        case (.bool(let x), .bool(let y)): x == y
        case (.bool(let x), .int(let y)), (.int(let y), .bool(let x)): (x ? 1 : 0) == y
        case (.int(let x), .int(let y)): x == y
        case (.double(let x), .double(let y)): x == y
        case (.string(let x), .string(let y)): x == y
        case (.array(let x), .array(let y)): x.count == y.count && zip(x, y).allSatisfy { $0 == $1 }
        case (.object(let x), .object(let y)): x.count == y.count && x.allSatisfy { k, v in y[k].map { $0 == v } ?? false }
        default: false
        }
    }

    var description: String {
        switch self {
        case .null: "null"
        case .bool(let b): "\(b)"
        case .int(let i): "\(i)"
        case .double(let d): "\(d)"
        case .string(let s): "\"\(s)\""
        case .array(let a): "[" + a.map(\.description).joined(separator: ",") + "]"
        case .object(let o): "{" + o.keys.sorted().map { "\"\($0)\":\(o[$0]!)" }.joined(separator: ",") + "}"
        }
    }

    var string: String? { if case .string(let s) = self { s } else { nil } }
    var int: Int64? { if case .int(let i) = self { i } else { nil } }
    var object: [String: JV]? { if case .object(let o) = self { o } else { nil } }
}

func readLines(_ path: String) -> [String]? {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
    return text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
}

/// Up to `limit` mismatches of `expected`'s keys in `actual` (key renames via `map`).
func mismatches(expected: [String: JV], actual: [String: JV], context: String) -> [String] {
    var problems: [String] = []
    for (key, value) in expected {
        if key == "storeCheck", case .object(let check) = value {
            let outCheck = actual["check"]?.object ?? [:]
            for (ck, cv) in check {
                let got = (ck == "msgSize" || ck == "success") ? outCheck[ck] : actual[ck]
                if got != cv { problems.append("\(context): storeCheck.\(ck) expected \(cv), got \(got.map { "\($0)" } ?? "missing")") }
            }
            continue
        }
        let got = actual[key]
        if got != value { problems.append("\(context): \(key) expected \(value), got \(got.map { "\($0)" } ?? "missing")") }
    }
    return problems
}

@Suite struct DumpSchemaTests {
    @Test(arguments: Fixtures.all)
    func commitLogDumpMatchesExpectedMessages(_ scenario: String) throws {
        let layout = try StoreLayout.discover(Fixtures.store(scenario))
        var lines: [String] = []
        var dump = CommitLogDump()
        dump.format = .json
        dump.describer = RecordDescriber(bodyMode: .none)
        try dump.run(layout, into: LineSink(collect: { lines.append($0) }))

        let expectedLines = try #require(readLines(Fixtures.expected(scenario, "messages.ndjson")))
        let output = lines.compactMap(JV.parse)
        #expect(output.count == lines.count, "every output line parses as a JSON object")

        let outputStructure = output.filter { $0["type"]?.string != "end" }
        let outputEnds = Set(output.filter { $0["type"]?.string == "end" }.compactMap { $0["physicalOffset"]?.int })
        var problems: [String] = []
        var cursor = 0
        var messages = 0
        for (n, line) in expectedLines.enumerated() {
            guard let expected = JV.parse(line), let type = expected["type"]?.string else {
                problems.append("expected line \(n + 1) unparsable")
                continue
            }
            if type == "end" {
                let offset = expected["physicalOffset"]?.int ?? -1
                if !outputEnds.contains(offset) { problems.append("no end line at \(offset)") }
                continue
            }
            guard cursor < outputStructure.count else {
                problems.append("output ends before expected line \(n + 1) (\(type))")
                break
            }
            let actual = outputStructure[cursor]
            cursor += 1
            if type == "msg" { messages += 1 }
            let context = "\(scenario) line \(n + 1) \(type) @\(expected["physicalOffset"]?.int ?? expected["fileFromOffset"]?.int ?? -1)"
            if actual["type"]?.string != type {
                problems.append("\(context): output has type \(actual["type"] ?? .null)")
                continue
            }
            problems += mismatches(expected: expected, actual: actual, context: context)
            if problems.count > 20 { break }
        }
        #expect(cursor == outputStructure.count, "no extra file/msg/blank lines in the output")
        #expect(messages > 0)
        #expect(problems.isEmpty, "\(problems.count) mismatches:\n\(problems.prefix(20).joined(separator: "\n"))")
    }

    @Test(arguments: Fixtures.all)
    func consumeQueueDumpMatchesExpected(_ scenario: String) throws {
        let layout = try StoreLayout.discover(Fixtures.store(scenario))
        var lines: [String] = []
        try StoreFilesDump(format: .json).run(.consumeQueue, layout, into: LineSink(collect: { lines.append($0) }))
        let expectedLines = readLines(Fixtures.expected(scenario, "consumequeue.ndjson")) ?? []
        let output = lines.compactMap(JV.parse)
        #expect(output.count == lines.count)
        #expect(output.count == expectedLines.count, "one output line per expected line")
        var problems: [String] = []
        for (n, line) in expectedLines.enumerated() where n < output.count {
            guard let expected = JV.parse(line) else { problems.append("expected line \(n + 1) unparsable"); continue }
            problems += mismatches(expected: expected, actual: output[n], context: "\(scenario) consumequeue line \(n + 1)")
            if problems.count > 20 { break }
        }
        #expect(problems.isEmpty, "\(problems.count) mismatches:\n\(problems.prefix(20).joined(separator: "\n"))")
    }

    @Test(arguments: Fixtures.all)
    func indexDumpMatchesExpected(_ scenario: String) throws {
        let layout = try StoreLayout.discover(Fixtures.store(scenario))
        var lines: [String] = []
        try StoreFilesDump(format: .json).run(.index, layout, into: LineSink(collect: { lines.append($0) }))
        let output = lines.compactMap(JV.parse)
        #expect(output.count == lines.count)

        let data = try #require(FileManager.default.contents(atPath: Fixtures.expected(scenario, "index.json")))
        let root = JV(try JSONSerialization.jsonObject(with: data))
        guard case .array(let files)? = root.object?["indexFiles"] else {
            Issue.record("no indexFiles in \(scenario)/expected/index.json")
            return
        }
        #expect(output.count == files.count)
        var problems: [String] = []
        for (n, file) in files.enumerated() where n < output.count {
            let expected = try #require(file.object)
            #expect(output[n]["type"]?.string == "indexFile")
            for key in ["file", "fileSize", "header", "slots", "entries"] {
                if expected[key] == nil { problems.append("expected index file \(n) has no \(key)"); continue }
                if output[n][key] != expected[key] {
                    problems.append("\(scenario) index file \(expected["file"] ?? .null): \(key) differs: expected \(String(describing: expected[key]!).prefix(300)), got \(output[n][key].map { String(describing: $0).prefix(300) } ?? "missing")")
                }
            }
        }
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }
}
