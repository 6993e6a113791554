// Damages the campaign found recover leaving behind (or refusing): each one, made on purpose,
// must end with a store verify reports clean, and undo must restore the damaged bytes.

import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct RecoverRegressionTests {
    enum Damage: String, CaseIterable, CustomStringConvertible {
        case zeroLengthQueueFile, tornQueueUnit, longQueueFile, unparsableConfigWithoutBak, garbageIndexFile
        var description: String { rawValue }
    }

    @Test(arguments: Damage.allCases)
    func recoverThenVerifyIsClean(_ damage: Damage) throws {
        let store = try copyStore("rocketmq-4.9.8/sync_flush")
        let queueFile = store + "/consumequeue/TopicA/0/00000000000000000000"
        switch damage {
        case .zeroLengthQueueFile: _ = truncate(queueFile, 0)
        case .tornQueueUnit:  // unit 6 keeps offset, size and 7 bytes of tagsCode
            _ = truncate(store + "/consumequeue/TopicB/1/00000000000000000000", 139)
        case .longQueueFile: _ = truncate(store + "/consumequeue/TopicC/0/00000000000000000000", 1280 + 7)
        case .unparsableConfigWithoutBak:
            try Data("{\"offsetTable\":{1:".utf8).write(to: URL(fileURLWithPath: store + "/config/delayOffset.json"))
        case .garbageIndexFile:
            var generator = SplitMix64(seed: 7)
            var bytes = (0..<5416).map { _ in UInt8.random(in: 0...255, using: &generator) }
            // endPhyOffset 0: not past the end of the log, so only a header check sees it.
            for i in 24..<32 { bytes[i] = 0 }
            try Data(bytes).write(to: URL(fileURLWithPath: store + "/index/20991231235959999"))
        }
        let damaged = RepairCLI.snapshot(store)
        let salvage = store + "/../salvage"
        let recover = try RepairCLI.run(["recover", store, "--apply", "--salvage-dir", salvage] + RepairCLITests.sizes)
        #expect(recover.status == 0, "\(recover.stdout)\(recover.stderr)")
        let verify = try RepairCLI.run(["verify", store] + RepairCLITests.sizes)
        #expect(verify.status == 0, "\(verify.stdout)")
        let undo = try RepairCLI.run(["undo", salvage + "/journal.json", "--apply"])
        #expect(undo.status == 0, "\(undo.stderr)")
        #expect(RepairCLI.snapshot(store) == damaged)
    }
}
