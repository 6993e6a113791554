import RocketMQFormat
import RocketMQStore
import RocketMQTools
import TestSupport
import Testing

/// JSON lines formatted on worker threads come out exactly as the walking thread writes them.
@Suite struct DumpPipelineTests {
    static func lines(_ scenario: String, jobs: Int, batchSize: Int = 256, configure: (inout CommitLogDump) -> Void = { _ in })
        throws -> [String]
    {
        let layout = try StoreLayout.discover(Fixtures.store(scenario))
        var lines: [String] = []
        var dump = CommitLogDump()
        dump.format = .json
        dump.jobs = jobs
        dump.batchSize = batchSize
        configure(&dump)
        try dump.run(layout, into: LineSink(collect: { lines.append($0) }))
        return lines
    }

    @Test(arguments: Fixtures.all)
    func workersWriteTheSameLinesInOrder(_ scenario: String) throws {
        let sequential = try Self.lines(scenario, jobs: 1)
        #expect(!sequential.isEmpty)
        // Tiny batches: the ring of batches wraps many times within each file.
        #expect(try Self.lines(scenario, jobs: 3, batchSize: 2) == sequential)
        #expect(try Self.lines(scenario, jobs: 2, batchSize: 7) == sequential)
    }

    @Test(arguments: ["rocketmq-4.9.8/corrupt_b_crc_flip_middle", "rocketmq-4.9.8/ipv6_compressed_batch"])
    func optionsAndFiltersToo(_ scenario: String) throws {
        let variants: [(inout CommitLogDump) -> Void] = [
            { $0.continuePastDamage = true },
            { $0.describer.bodyMode = .hex; $0.describer.includeDigests = false },
            { $0.filter.limit = 5 },
            { $0.describer.bodyMode = .base64 },
        ]
        for configure in variants {
            let sequential = try Self.lines(scenario, jobs: 1, configure: configure)
            #expect(try Self.lines(scenario, jobs: 2, batchSize: 3, configure: configure) == sequential)
        }
    }
}
