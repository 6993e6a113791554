// The start-up preview against what real brokers did with each fixture (expected/recovery.json
// and recovery_abnormal.json, recorded by RocketMQ 4.9.8 / 5.3.3 themselves).

import Foundation
import RocketMQFormat
import RocketMQStore
import RocketMQTools
import TestSupport
import Testing

struct RecoveryCase: CustomStringConvertible, Sendable {
    var scenario: String
    var file: String
    var description: String { "\(scenario)/\(file)" }

    static let all: [RecoveryCase] = Fixtures.all.flatMap { scenario in
        ["recovery.json", "recovery_abnormal.json"].compactMap { file in
            FileManager.default.fileExists(atPath: Fixtures.expected(scenario, file)) ? RecoveryCase(scenario: scenario, file: file) : nil
        }
    }

    var expected: [String: Any] {
        get throws {
            let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.expected(scenario, file)))
            return try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
        }
    }

    /// The broker configuration the fixture was recorded with (scenario.json storeConfig).
    var storeOptions: StoreOptions {
        get throws {
            let path = Fixtures.root + "/" + scenario + "/scenario.json"
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            let json = try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
            let config = try #require(json["storeConfig"] as? [String: Any])
            return StoreOptions(
                mappedFileSizeCommitLog: (config["mappedFileSizeCommitLog"] as? NSNumber)?.int64Value,
                mappedFileSizeConsumeQueue: (config["mappedFileSizeConsumeQueue"] as? NSNumber)?.int64Value)
        }
    }

    var previewOptions: StartupPreviewOptions {
        StartupPreviewOptions(rules: scenario.hasPrefix("rocketmq-5") ? .rocketMQ5 : .rocketMQ4,
                              forceAbnormal: file == "recovery_abnormal.json")
    }
}

@Suite struct StartupPreviewTests {
    @Test(arguments: RecoveryCase.all)
    func previewMatchesTheRealBroker(_ testCase: RecoveryCase) throws {
        let expected = try testCase.expected
        let preview = try StartupSimulator.preview(
            Fixtures.store(testCase.scenario), storeOptions: testCase.storeOptions, options: testCase.previewOptions)
        let load = try #require(expected["load"] as? [String: Any])
        #expect(preview.loadSucceeded == (load["result"] as? Bool), "load() result")
        #expect(preview.mode == ((expected["abortFilePresentAtLoad"] as? Bool) == true ? .abnormal : .normal))

        // Files the broker deleted (commitlog, consume queues, index) are the ones predicted.
        let before = Set(((expected["filesBefore"] as? [[Any]]) ?? []).compactMap { $0.first as? String })
        let after = Set(((expected["filesAfterShutdown"] ?? expected["filesAfter"]) as? [[Any]] ?? []).compactMap { $0.first as? String })
        let removed = before.subtracting(after).filter { $0.hasPrefix("commitlog/") || $0.hasPrefix("consumequeue/") || $0.hasPrefix("index/") }
        var predicted = Set(preview.commitLog?.deletedFiles ?? [])
        predicted.formUnion(preview.index?.deletedFiles ?? [])
        for queue in preview.consumeQueues { predicted.formUnion(queue.deletedFiles) }
        #expect(predicted == removed, "deleted files")

        guard preview.loadSucceeded, let afterLoad = expected["afterLoad"] as? [String: Any] else {
            #expect(preview.loadFailure != nil)
            return
        }
        let commitLog = try #require(preview.commitLog)
        #expect(commitLog.processOffset == (afterLoad["commitLogMaxOffset"] as? NSNumber)?.int64Value, "processOffset")
        #expect(commitLog.minOffset == (afterLoad["commitLogMinOffset"] as? NSNumber)?.int64Value)
        let mapped = ((afterLoad["commitLogMappedFiles"] as? [[String: Any]]) ?? []).map {
            "\($0["file"] as? String ?? "")@\(($0["wrotePosition"] as? NSNumber)?.int64Value ?? -1)"
        }
        #expect(commitLog.mappedFiles.map { "\($0.file)@\($0.wrotePosition)" } == mapped, "mapped files after load")

        try compareQueues(preview, expected: afterLoad, stage: "afterLoad") { $0.afterLoad }
        if let afterStart = expected["afterStart"] as? [String: Any] {
            try compareQueues(preview, expected: afterStart, stage: "afterStart") { $0.afterStart }
        }
    }

    func compareQueues(
        _ preview: StartupPreview, expected: [String: Any], stage: String,
        _ state: (StartupPreview.QueueOutcome) -> QueueStateSnapshot?
    ) throws {
        let queues = try #require(expected["consumeQueues"] as? [String: [String: Any]])
        var seen = Set<String>()
        for queue in preview.consumeQueues {
            guard let actual = state(queue) else { continue }
            seen.insert(queue.key)
            guard let real = queues[queue.key] else {
                Issue.record("\(stage): preview has queue \(queue.key) the broker did not have")
                continue
            }
            #expect(actual.maxOffset == (real["maxOffset"] as? NSNumber)?.int64Value, "\(stage) \(queue.key) maxOffset")
            #expect(actual.maxPhysicOffset == (real["maxPhysicOffset"] as? NSNumber)?.int64Value, "\(stage) \(queue.key) maxPhysicOffset")
            #expect(actual.minLogicOffset == (real["minLogicOffset"] as? NSNumber)?.int64Value, "\(stage) \(queue.key) minLogicOffset")
        }
        for (key, real) in queues where !seen.contains(key) {
            // Queues the schedule service opens without files (SCHEDULE_TOPIC_XXXX) hold nothing.
            #expect((real["maxOffset"] as? NSNumber)?.int64Value == 0 && (real["maxPhysicOffset"] as? NSNumber)?.int64Value == -1,
                    "\(stage): broker had queue \(key) with data that the preview lacks")
        }
    }

    @Test func tornLastFileFailsLoadNamingTheFile() throws {
        let preview = try StartupSimulator.preview(Fixtures.store("rocketmq-4.9.8/corrupt_a2_torn_file_truncated"))
        let failure = try #require(preview.loadFailure)
        #expect(failure.path == "commitlog/00000000000000786432")
        #expect(failure.message.contains("11666"))
    }
}
