import Foundation
import RocketMQFormat
import TestSupport
import Testing

@Suite struct FastJSONTests {
    static func parse(_ text: String) throws(FormatError) -> JSONValue { try FastJSON.parse(text) }

    static func error(_ text: String) -> FormatError? {
        do { _ = try FastJSON.parse(text); return nil } catch { return error }
    }

    /// Structural equality with what Foundation's strict parser produced.
    static func same(_ value: JSONValue, _ other: Any) -> Bool {
        switch value {
        case .object(let members):
            guard let dict = other as? [String: Any], dict.count == members.count else { return false }
            return members.allSatisfy { member in dict[member.key].map { same(member.value, $0) } ?? false }
        case .array(let elements):
            guard let array = other as? [Any], array.count == elements.count else { return false }
            return zip(elements, array).allSatisfy { same($0, $1) }
        case .string(let text): return (other as? String) == text
        case .integer(let number): return (other as? NSNumber)?.int64Value == number
        case .double(let number): return (other as? NSNumber)?.doubleValue == number
        case .bool(let flag): return (other as? Bool) == flag
        case .null: return other is NSNull
        }
    }

    @Test(arguments: Fixtures.all)
    func parsesFixtureConfigFiles(_ scenario: String) throws {
        let dir = Fixtures.store(scenario) + "/config"
        for name in AuxFixtureFiles.list(dir) where name.hasSuffix(".json") {
            let bytes = try AuxFixtureFiles.bytes(dir + "/" + name)
            let value = try FastJSON.parse(bytes)
            #expect(value["offsetTable"] != nil)
            if name == "delayOffset.json" {
                let table = try bytes.withUnsafeBytes { try DelayOffsetTable(decoding: $0) }
                #expect(table.encoded() == bytes, "\(scenario) \(name)")
                #expect(table.offsetTable == (scenario.hasSuffix("/delayed") ? [1: 20] : [:]))
            }
        }
        let positionCheckpoint = Fixtures.store(scenario) + "/compaction/position-checkpoint"
        if AuxFixtureFiles.exists(positionCheckpoint) {
            let value = try FastJSON.parse(try AuxFixtureFiles.bytes(positionCheckpoint))
            #expect(value["empty"] == .bool(true))
            #expect(JSONWriter.bytes(value) == (try AuxFixtureFiles.bytes(positionCheckpoint)))
        }
    }

    /// The expected/*.json files are strict JSON: FastJSON must read them exactly as Foundation does.
    @Test(arguments: Fixtures.all)
    func agreesWithFoundationOnExpectedFiles(_ scenario: String) throws {
        for name in ["index.json", "recovery.json"] {
            let path = Fixtures.expected(scenario, name)
            let value = try FastJSON.parse(try AuxFixtureFiles.bytes(path))
            #expect(Self.same(value, try AuxFixtureFiles.json(path)), "\(scenario) \(name)")
        }
        let scenarioPath = Fixtures.root + "/" + scenario + "/scenario.json"
        #expect(Self.same(try FastJSON.parse(try AuxFixtureFiles.bytes(scenarioPath)), try AuxFixtureFiles.json(scenarioPath)))
    }

    @Test func delayOffsetLayout() throws {
        #expect(String(decoding: DelayOffsetTable().encoded(), as: UTF8.self) == "{\n\t\"offsetTable\":{}\n}")
        #expect(String(decoding: DelayOffsetTable(offsetTable: [1: 20]).encoded(), as: UTF8.self)
            == "{\n\t\"offsetTable\":{1:20\n\t}\n}")
        #expect(String(decoding: DelayOffsetTable(offsetTable: [3: 0, 1: 7, 18: 12]).encoded(), as: UTF8.self)
            == "{\n\t\"offsetTable\":{1:7,3:0,18:12\n\t}\n}")
        // 5.x adds dataVersion; quoted keys are accepted too.
        let v5 = #"{"dataVersion":{"counter":3,"stateVersion":0,"timestamp":1},"offsetTable":{"2":5,1:9}}"#
        let table = try Array(v5.utf8).withUnsafeBytes { try DelayOffsetTable(decoding: $0) }
        #expect(table.offsetTable == [1: 9, 2: 5])
        let bad = Array(#"{"offsetTable":{"x":1}}"#.utf8)
        #expect(throws: FormatError.self) { try bad.withUnsafeBytes { try DelayOffsetTable(decoding: $0) } }
        let notObject = Array("[1]".utf8)
        #expect(throws: FormatError.self) { try notObject.withUnsafeBytes { try DelayOffsetTable(decoding: $0) } }
    }

    @Test func consumerOffsets() throws {
        let text = "{\n\t\"offsetTable\":{\n\t\t\"%RETRY%g1@g1\":{0:0\n\t\t},\n\t\t\"TopicTest@g1\":{0:250,1:250,2:249,3:249\n\t\t}\n\t}\n}"
        let table = try Array(text.utf8).withUnsafeBytes { try ConsumerOffsetTable(decoding: $0) }
        #expect(table.offsetTable["TopicTest@g1"] == [0: 250, 1: 250, 2: 249, 3: 249])
        #expect(table.entries.count == 5)
        #expect(table.entries.first.map { [$0.topic, $0.group] } == ["%RETRY%g1", "g1"])
        #expect(ConsumerOffsetTable.split(topicAtGroup: "t@g")! == ("t", "g"))
        #expect(ConsumerOffsetTable.split(topicAtGroup: "t@g@")! == ("t", "g"))
        #expect(ConsumerOffsetTable.split(topicAtGroup: "@g")! == ("", "g"))
        #expect(ConsumerOffsetTable.split(topicAtGroup: "t@") == nil)
        #expect(ConsumerOffsetTable.split(topicAtGroup: "a@b@c") == nil)
        #expect(ConsumerOffsetTable.split(topicAtGroup: "plain") == nil)
        // Writing and reading back keeps the table.
        let again = try JSONWriter.bytes(table.jsonValue).withUnsafeBytes { try ConsumerOffsetTable(decoding: $0) }
        #expect(again == table)

        let lmq = #"{"lmqOffsetTable":{"%LMQ%q@g":12},"offsetTable":{},"dataVersion":{"counter":1}}"#
        let lmqTable = try Array(lmq.utf8).withUnsafeBytes { try ConsumerOffsetTable(decoding: $0) }
        #expect(lmqTable.lmqOffsetTable == ["%LMQ%q@g": 12] && lmqTable.offsetTable.isEmpty)
    }

    @Test func topicsAndSubscriptionGroups() throws {
        let topics = """
        {
        \t"dataVersion":{
        \t\t"counter":2,
        \t\t"stateVersion":0,
        \t\t"timestamp":1609127466426
        \t},
        \t"topicConfigTable":{
        \t\t"TopicTest":{
        \t\t\t"attributes":{"queue.type":"BatchCQ"},
        \t\t\t"order":false,
        \t\t\t"perm":6,
        \t\t\t"readQueueNums":4,
        \t\t\t"topicFilterType":"SINGLE_TAG",
        \t\t\t"topicName":"TopicTest",
        \t\t\t"topicSysFlag":0,
        \t\t\t"writeQueueNums":4,
        \t\t\t"someFutureField":[1,2]
        \t\t},"Minimal":{}
        \t}
        }
        """
        let table = try Array(topics.utf8).withUnsafeBytes { try TopicConfigTable(decoding: $0) }
        #expect(table.dataVersion == DataVersion(timestamp: 1_609_127_466_426, counter: 2, stateVersion: 0))
        #expect(table.topicConfigTable["TopicTest"] == TopicConfig(
            topicName: "TopicTest", readQueueNums: 4, writeQueueNums: 4, attributes: ["queue.type": "BatchCQ"]))
        #expect(table.topicConfigTable["Minimal"] == TopicConfig(topicName: "Minimal"))
        #expect(table.topicConfigTable["TopicTest"]!.isReadable)
        let bad = Array(#"{"topicConfigTable":{"T":{"perm":"x"}}}"#.utf8)
        #expect(throws: FormatError.self) { try bad.withUnsafeBytes { try TopicConfigTable(decoding: $0) } }

        let groups = #"{"dataVersion":{"counter":1,"timestamp":2},"subscriptionGroupTable":{"g1":{"groupName":"g1","retryMaxTimes":16},"CID_X":{}},"forbiddenTable":{}}"#
        let groupTable = try Array(groups.utf8).withUnsafeBytes { try SubscriptionGroupTable(decoding: $0) }
        #expect(groupTable.groupNames == ["g1", "CID_X"])
        #expect(groupTable.dataVersion?.counter == 1)
    }

    @Test func lenientSyntax() throws {
        #expect(try Self.parse("{1:20\n\t}") == .object([JSONMember(key: "1", value: .integer(20), isBareKey: true)]))
        #expect(try Self.parse("{0:5280,1:5312}")["1"] == .integer(5312))
        #expect(try Self.parse("{-1:2}")["-1"] == .integer(2))
        #expect(try Self.parse("{name:'x',}")["name"] == .string("x"))
        #expect(try Self.parse("[1,2,]") == .array([.integer(1), .integer(2)]))
        #expect(try Self.parse("\u{FEFF}\t\n {\"a\"\t:\r\n[ ]\n}\n") == .object([JSONMember(key: "a", value: .array([]))]))
        #expect(try Self.parse("{\"a\":1,\"a\":2}")["a"] == .integer(2))
        #expect(try Self.parse("-9223372036854775808") == .integer(.min))
        #expect(try Self.parse("9223372036854775808") == .double(9_223_372_036_854_775_808))
        #expect(try Self.parse("1.5e3") == .double(1500))
        #expect(try Self.parse("[true,false,null]") == .array([.bool(true), .bool(false), .null]))
        #expect(try Self.parse(#""a\"\\\/\b\f\n\r\tz\u00e9\ud83d\ude00\ud800x""#)
            == .string("a\"\\/\u{8}\u{c}\n\r\tzé😀\u{FFFD}x"))
        #expect(try Self.parse("\"raw\ttab\"") == .string("raw\ttab"))
        #expect(try Self.parse("\"\u{00e9}\"") == .string("é"))
    }

    @Test func errorsCarryOffsets() {
        let cases: [(String, Int, String)] = [
            (#"{"a":}"#, 5, "value"),
            (#"{"a" 1}"#, 5, "object"),
            ("[1,2", 4, "array"),
            (#"{"a":"abc"#, 9, "string"),
            ("{1:2}x", 5, "document"),
            ("tru", 0, "value"),
            ("", 0, "value"),
            ("{:1}", 1, "object key"),
            ("[01.]", 4, "number"),
            ("[-]", 2, "number"),
            (#""\x""#, 2, "string"),
            (#""\u12g4""#, 5, "string"),
            ("{\"a\":1 \"b\":2}", 7, "object"),
        ]
        for (text, offset, field) in cases {
            let error = Self.error(text)
            #expect(error?.offset == offset && error?.field == field, "\(text): \(String(describing: error))")
            #expect(error?.structure == "JSON")
        }
        let deep = String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
        #expect(Self.error(deep)?.offset == FastJSON.defaultMaxDepth)
        #expect(Self.error(String(repeating: "[", count: 100_000)) != nil)
        #expect((try? FastJSON.parse(deep, maxDepth: 300)) != nil)
    }

    @Test func writerRoundTrips() throws {
        let value = JSONValue.object([
            JSONMember(key: "s", value: .string("q\"\\\n\u{1}é")),
            JSONMember(key: "n", value: .array([.integer(-3), .double(0.25), .bool(false), .null, .array([]), .object([])])),
            JSONMember(key: "m", value: .object([JSONMember(key: "7", value: .integer(1), isBareKey: true)])),
        ])
        for style in [JSONWriter.Style.compact, .fastjsonPretty] {
            #expect(try FastJSON.parse(JSONWriter.bytes(value, style: style)) == value)
        }
        #expect(JSONWriter.string(.object([JSONMember(key: "a", value: .integer(1))]), style: .compact) == #"{"a":1}"#)
        #expect(JSONWriter.string(.array([.integer(1), .integer(2)])) == "[\n\t1,\n\t2\n]")
    }

    /// Random and mutated input must only ever produce values or FormatErrors.
    @Test func fuzzNeverTraps() throws {
        var rng = SplitMix64(seed: 0x5EED)
        let seeds: [[UInt8]] = [
            Array("{\n\t\"offsetTable\":{1:20,2:7\n\t}\n}".utf8),
            Array(#"{"dataVersion":{"counter":2},"topicConfigTable":{"T":{"perm":6,"order":false,"x":[1.5e3,null,"\u00e9"]}}}"#.utf8),
            try AuxFixtureFiles.bytes(Fixtures.root + "/rocketmq-4.9.8/delayed/scenario.json"),
        ]
        let alphabet = Array("{}[]:,\"'\\-+.0123456789eEtrufalsn \t\n\r\u{7F}".utf8) + [0, 0xC3, 0xA9, 0xFF, 0xED, 0xA0, 0x80]
        var parsed = 0
        for iteration in 0..<20_000 {
            var bytes: [UInt8]
            if iteration % 4 == 0 {
                bytes = (0..<Int.random(in: 0...64, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
            } else {
                bytes = seeds.randomElement(using: &rng)!
                for _ in 0..<Int.random(in: 1...6, using: &rng) {
                    guard !bytes.isEmpty else { break }
                    let at = Int.random(in: 0..<bytes.count, using: &rng)
                    switch Int.random(in: 0..<4, using: &rng) {
                    case 0: bytes[at] = alphabet.randomElement(using: &rng)!
                    case 1: bytes.remove(at: at)
                    case 2: bytes.insert(alphabet.randomElement(using: &rng)!, at: at)
                    default: bytes.removeSubrange(at...)
                    }
                }
            }
            if let value = try? FastJSON.parse(bytes) {
                parsed += 1
                // Whatever parses must survive a write/parse cycle.
                #expect(try FastJSON.parse(JSONWriter.bytes(value)) == value)
            }
            bytes.withUnsafeBytes { raw in
                _ = try? DelayOffsetTable(decoding: raw)
                _ = try? ConsumerOffsetTable(decoding: raw)
                _ = try? TopicConfigTable(decoding: raw)
                _ = try? SubscriptionGroupTable(decoding: raw)
            }
        }
        #expect(parsed > 100)
    }
}
