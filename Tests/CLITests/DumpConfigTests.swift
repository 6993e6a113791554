// `dump --what config` on unparsable config JSON: an error on stderr naming the file and byte
// offset (exit 65), the parsable files still printed, the .bak printed in place of a bad file
// as the broker's ConfigManager.load falls back to it.

import Foundation
import TestSupport
import Testing

@Suite struct DumpConfigTests {
    /// A store whose config/ holds `files` (name → contents).
    func store(_ files: [String: String]) throws -> String {
        let store = try copyStore("rocketmq-4.9.8/sync_flush")
        let config = store + "/config"
        try? FileManager.default.removeItem(atPath: config)
        try FileManager.default.createDirectory(atPath: config, withIntermediateDirectories: true)
        for (name, text) in files { try Data(text.utf8).write(to: URL(fileURLWithPath: config + "/" + name)) }
        return store
    }

    @Test func unparsableFileIsAnErrorWithItsOffsetAndTheOthersArePrinted() throws {
        // The parse stops at byte 20: the value after "a": is missing.
        let path = try store(["delayOffset.json": "{\"offsetTable\":{\"a\":}}", "topics.json": "{\"topicConfigTable\":{}}"])
        let result = try CLI.run(["dump", "--what", "config", path])
        #expect(result.status == 65)
        #expect(result.stdout == "config/topics.json: {\"topicConfigTable\":{}}\n")
        #expect(result.stderrLines.count == 1)
        let line = try #require(result.stderrLines.first)
        #expect(line.hasPrefix("rmqstore: config/delayOffset.json @ 20 "), "\(line)")
        #expect(line.contains("no config/delayOffset.json.bak"))
        let json = try CLI.run(["dump", "--what", "config", "--format", "json", path])
        #expect(json.status == 65)
        #expect(jsonLines(json).map { $0["file"] as? String } == ["config/topics.json"])
    }

    @Test func goodBakIsPrintedInPlaceOfTheBadFileAndSaidSo() throws {
        let path = try store(["delayOffset.json": "{\"offsetTable\":", "delayOffset.json.bak": "{\"offsetTable\":{}}"])
        let result = try CLI.run(["dump", "--what", "config", "--format", "json", path])
        #expect(result.status == 65)
        let main = jsonLines(result).first { $0["file"] as? String == "config/delayOffset.json" }
        #expect(main?["source"] as? String == "config/delayOffset.json.bak")
        #expect((main?["content"] as? [String: Any])?["offsetTable"] != nil)
        #expect(result.stderr.contains("config/delayOffset.json @ 15"))
        #expect(result.stderr.contains("falls back to config/delayOffset.json.bak"))
    }

    @Test func everyFileParsesExitsZero() throws {
        let result = try CLI.run(["dump", "--what", "config", Fixtures.store("rocketmq-4.9.8/sync_flush")])
        #expect(result.status == 0)
        #expect(result.stderr.isEmpty)
        #expect(result.stdout.hasPrefix("config/delayOffset.json: {"))
    }
}
