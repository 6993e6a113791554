import Foundation
import RocketMQFormat
import RocketMQStore
@testable import RocketMQTools
import Testing
import TestSupport

/// The digest fast paths (consume queues, index interiors) must hold on real clean stores, or
/// the unit-by-unit path would silently carry every run; and the parallel, chunked commitlog
/// pass must give exactly the serial result.
@Suite struct VerifyDigestTests {
    static func facts(_ layout: StoreLayout) -> LogFacts {
        let collector = FindingCollector(limit: nil) { _ in }
        var scanOptions = VerifyOptions(lockHeld: false)
        scanOptions.jobs = 1
        return CommitLogVerifier(layout: layout, options: scanOptions, lockHeld: false,
                                 checkOptions: RecordCheckOptions(delayLevels: layout.options.delayLevels))
            .run(into: collector)
    }

    @Test(arguments: VerifyTests.cleanFixtures)
    func consumeQueueDigestsMatchOnCleanStores(_ scenario: String) throws {
        let layout = try StoreLayout.discover(Fixtures.store(scenario))
        let facts = Self.facts(layout)
        #expect(!layout.consumeQueues.isEmpty)
        for location in layout.consumeQueues {
            let key = VerifyQueueKey(topic: location.topic, queueId: location.queueId)
            #expect(ConsumeQueueVerifier.digestMatches(location, run: facts.queues[key], facts: facts),
                    "\(scenario) \(key.topic)/\(key.queueId)")
        }
    }

    @Test(arguments: VerifyTests.cleanFixtures)
    func indexDigestsMatchOnCleanStores(_ scenario: String) throws {
        let layout = try StoreLayout.discover(Fixtures.store(scenario))
        let facts = Self.facts(layout)
        var proven = 0
        for (i, file) in layout.indexFiles.enumerated() {
            let region = try MappedRegion(path: file.path)
            let layoutOfFile = IndexFileLayout.infer(fileSize: Int(file.size))!
            try region.withBytes { bytes in
                let view = try IndexFileView(bytes: bytes, layout: layoutOfFile)
                let count = Int(view.header.effectiveIndexCount)
                guard count > 1 else { return }
                let digest = IndexVerifier.interiorDigest(view, count: count, facts: facts)
                let expected = i < facts.indexDigests.count ? facts.indexDigests[i] : IndexDigest()
                #expect(digest == expected, "\(scenario) \(file.name)")
                if digest.count > 0 { proven += 1 }
            }
        }
        #expect(proven > 0, "\(scenario): no index file interior was proven by its digest")
    }

    @Test func aWrongUnitBreaksTheDigest() throws {
        let root = try VerifyCorruptionTests.copyStore()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let layout = try StoreLayout.discover(root)
        let location = layout.consumeQueues[0]
        // tagsCode of unit 0 (bytes 12..<20).
        try VerifyCorruptionTests.xor(location.files[0].path, at: 19, with: 0x01)
        let facts = Self.facts(layout)
        let key = VerifyQueueKey(topic: location.topic, queueId: location.queueId)
        #expect(!ConsumeQueueVerifier.digestMatches(location, run: facts.queues[key], facts: facts))
    }

    /// Findings as comparable lines (order within a run can differ for merged queue runs).
    static func lines(_ findings: [Finding]) -> [String] {
        findings.map { FindingFormatter(format: .json).line($0) }.sorted()
    }

    @Test(arguments: Fixtures.all)
    func chunkedParallelPassEqualsSerial(_ scenario: String) throws {
        let root = Fixtures.store(scenario)
        var serial: [Finding] = []
        let one = try StoreVerifier.verify(root, options: VerifyOptions(jobs: 1, lockHeld: false)) { serial.append($0) }
        var parallel: [Finding] = []
        var options = VerifyOptions(jobs: 3, lockHeld: false)
        options.chunkSize = 4096
        let three = try StoreVerifier.verify(root, options: options) { parallel.append($0) }
        #expect(Self.lines(serial) == Self.lines(parallel), "\(scenario)")
        #expect(one.records == three.records && one.verdict == three.verdict && one.maxOffset == three.maxOffset)
        #expect(one.consumeQueueUnits == three.consumeQueueUnits && one.indexEntries == three.indexEntries)
    }

    /// The chain walk (for slot tables too large to replay) agrees with the replay: nothing on
    /// clean stores, and a finding at a damaged entry.
    @Test(arguments: VerifyTests.cleanFixtures)
    func chainWalkAgreesWithReplay(_ scenario: String) throws {
        var options = VerifyOptions(lockHeld: false)
        options.indexReplaySlotLimit = 0
        var findings: [Finding] = []
        let summary = try StoreVerifier.verify(Fixtures.store(scenario), options: options) { findings.append($0) }
        #expect(summary.verdict == .clean, "\(findings)")
        #expect(findings.isEmpty, "\(scenario): \(findings)")
    }

    @Test func chainWalkFindsABrokenLink() throws {
        let root = try VerifyCorruptionTests.copyStore()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let layout = try StoreLayout.discover(root)
        let file = layout.indexFiles[0]
        let indexLayout = try #require(IndexFileLayout.infer(fileSize: Int(file.size)))
        let position = indexLayout.entryPosition(5)
        try VerifyCorruptionTests.xor(file.path, at: position + 19, with: 0x40)  // prevIndex of entry 5
        for limit in [0, 8_000_000] {
            var options = VerifyOptions(lockHeld: false)
            options.indexReplaySlotLimit = limit
            var findings: [Finding] = []
            _ = StoreVerifier(layout: layout, options: options).run { findings.append($0) }
            #expect(findings.contains { $0.code == "index.bad-chain" && $0.file == file.relativePath && $0.severity == .repairable },
                    "limit \(limit): \(findings)")
        }
    }
}
