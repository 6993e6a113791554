// recover and damage BEFORE the end of the log (issue 5, the campaign's former
// `recoverLeavesDerivedDamage` gaps): consume queue units and index entries that disagree with
// the log, a lost head consume queue file, header fields outside the body CRC, stray
// directories that stop the broker's load. Each damage is made on purpose on a copy of
// sync_flush; after `recover --apply` verify is clean (and, where the fixture holds the file
// RocketMQ wrote, the repaired file equals it byte for byte), and undo restores the damaged copy.

import Foundation
import RocketMQStore
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct RecoverDerivedDamageTests {
    static let scenario = "rocketmq-4.9.8/sync_flush"

    enum Damage: String, CaseIterable, CustomStringConvertible {
        case duplicateQueueUnit, zeroQueueUnit, headQueueFileDeleted, queueDirectoryDeleted, tagsFlipped, indexCycle,
             indexEntryKeyChanged, strayDirectories
        var description: String { rawValue }
    }

    /// The fixture's queue file the damage hits (compared byte for byte after the repair).
    static func queueFile(_ damage: Damage) -> String? {
        switch damage {
        case .duplicateQueueUnit: "consumequeue/TopicA/1/00000000000000000000"
        case .zeroQueueUnit: "consumequeue/TopicB/0/00000000000000000000"
        case .headQueueFileDeleted: "consumequeue/TopicC/0/00000000000000000000"
        case .queueDirectoryDeleted: "consumequeue/TopicA/2/00000000000000000000"
        default: nil
        }
    }

    /// What the dry run must announce.
    static func planned(_ damage: Damage) -> String {
        switch damage {
        case .duplicateQueueUnit: "consumequeue TopicA/1: rebuild from the log"
        // The broker's queue recovery stops at the zeroed unit: the units from there on are
        // dispatched again (the existing lag path), which restores the same file.
        case .zeroQueueUnit: "consumequeue TopicB/0: add"
        case .headQueueFileDeleted: "consumequeue TopicC/0: rebuild from the log"
        case .queueDirectoryDeleted: "consumequeue TopicA/2: add"
        case .tagsFlipped: ": rebuild from the log"
        case .indexCycle, .indexEntryKeyChanged: "index: rebuild from the log"
        case .strayDirectories: "remove consumequeue/TopicA/0/0000000000000000abcd"
        }
    }

    @Test(arguments: Damage.allCases)
    func recoverRepairsDamageBeforeTheEnd(_ damage: Damage) throws {
        let store = try copyStore(Self.scenario)
        defer { try? FileManager.default.removeItem(atPath: store + "/..") }
        try Self.apply(damage, to: store)
        let damaged = RepairCLI.snapshot(store)
        #expect(try RepairCLI.run(["verify", store] + RepairCLITests.sizes).status != 0, "the damage must be visible")

        let dryRun = try RepairCLI.run(["recover", store] + RepairCLITests.sizes)
        #expect(dryRun.status == 1, "\(dryRun.stdout)\(dryRun.stderr)")
        #expect(dryRun.stdout.contains(Self.planned(damage)), "\(dryRun.stdout)")
        #expect(RepairCLI.snapshot(store) == damaged, "the dry run changed the store")

        let salvage = store + "/../salvage"
        let recover = try RepairCLI.run(["recover", store, "--apply", "--salvage-dir", salvage] + RepairCLITests.sizes)
        #expect(recover.status == 0, "\(recover.stdout)\(recover.stderr)")
        let verify = try RepairCLI.run(["verify", store] + RepairCLITests.sizes)
        #expect(verify.status == 0, "\(verify.stdout)")
        if let file = Self.queueFile(damage) {
            let original = FileManager.default.contents(atPath: Fixtures.store(Self.scenario) + "/" + file)
            #expect(FileManager.default.contents(atPath: store + "/" + file) == original, "\(file) differs from the one RocketMQ wrote")
        }
        // The log is the source of truth: recover never writes a record's bytes.
        for (path, bytes) in damaged where path.hasPrefix("commitlog/") {
            #expect(FileManager.default.contents(atPath: store + "/" + path) == bytes, "\(path) changed")
        }
        let undo = try RepairCLI.run(["undo", salvage + "/journal.json", "--apply"])
        #expect(undo.status == 0, "\(undo.stderr)")
        #expect(RepairCLI.snapshot(store) == damaged)
    }

    /// A flipped QUEUEOFFSET passes every check (the CRC covers the body only) but breaks its
    /// queue's run: recover cannot tell the log or the queue right, refuses as damage in the
    /// middle of the log (65, nothing changed) and cuts there only with --accept-loss.
    /// The same for a SYSFLAG made PREPARED on the last record of its queue: no queue-offset run
    /// breaks, but the queue's last unit names the record, which no longer belongs to a queue.
    @Test(arguments: [false, true])
    func headerFieldChangeIsRefusedAsHeaderDamage(_ sysFlag: Bool) throws {
        let store = try copyStore(Self.scenario)
        defer { try? FileManager.default.removeItem(atPath: store + "/..") }
        if sysFlag {
            let (file, record) = try Self.lastRecord(ofQueue: "TopicA", 0)
            try Self.modify(store + "/" + file) { $0[record + 39] |= 0x04 }  // SYSFLAG: TRANSACTION_PREPARED_TYPE
        } else {
            let (file, record) = try Self.dispatchedRecord(in: store, index: 3)
            try Self.modify(store + "/" + file) { $0[record + 27] ^= 0x40 }  // low byte of QUEUEOFFSET
        }
        let damaged = RepairCLI.snapshot(store)
        let salvage = store + "/../salvage"
        let recover = ["recover", store, "--apply", "--salvage-dir", salvage] + RepairCLITests.sizes
        let refused = try RepairCLI.run(recover)
        #expect(refused.status == 65, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stdout.contains("header damage outside the body CRC"), "\(refused.stdout)")
        #expect(refused.stdout.contains("salvage"), "\(refused.stdout)")
        #expect(RepairCLI.snapshot(store) == damaged)
        let accepted = try RepairCLI.run(recover + ["--accept-loss"])
        #expect(accepted.status == 0, "\(accepted.stdout)\(accepted.stderr)")
        let verify = try RepairCLI.run(["verify", store] + RepairCLITests.sizes)
        #expect(verify.status == 0, "\(verify.stdout)")
        let undo = try RepairCLI.run(["undo", salvage + "/journal.json", "--apply"])
        #expect(undo.status == 0, "\(undo.stderr)")
        #expect(RepairCLI.snapshot(store) == damaged)
    }

    /// Several repairs at once (a queue rebuilt, a head file recreated, the index rebuilt, a
    /// stray directory set aside), the tool killed after write step 1, 2, …: every file is old
    /// or new, the journal matches the files, and undo restores the damaged store.
    @Test func killAtEveryWriteStepOfARepairBeforeTheEnd() throws {
        func damagedCopy() throws -> String {
            let store = try copyStore(Self.scenario)
            for damage in [Damage.duplicateQueueUnit, .headQueueFileDeleted, .indexCycle, .strayDirectories] { try Self.apply(damage, to: store) }
            return store
        }
        let reference = try damagedCopy()
        let original = RepairCLI.snapshot(reference)
        let done = try RepairCLI.run(["recover", reference, "--apply", "--salvage-dir", reference + "/../salvage"] + RepairCLITests.sizes)
        #expect(done.status == 0, "\(done.stdout)\(done.stderr)")
        #expect(try RepairCLI.run(["verify", reference] + RepairCLITests.sizes).status == 0)
        let final = RepairCLI.snapshot(reference)
        var step = 1
        while step < 100 {
            let store = try damagedCopy()
            defer { try? FileManager.default.removeItem(atPath: store + "/..") }
            let salvage = store + "/../salvage"
            let run = try RepairCLI.run(["recover", store, "--apply", "--salvage-dir", salvage] + RepairCLITests.sizes,
                                        environment: ["RMQSTORE_CRASH_AFTER_STEP": String(step)])
            let now = RepairCLI.snapshot(store).filter { !$0.key.hasPrefix(".rmqstore-staging-") }
            for (path, bytes) in now where !path.hasPrefix("index/") {
                #expect(bytes == original[path] || bytes == final[path], "step \(step): \(path) is neither old nor new")
            }
            let indexNow = Set(now.keys.filter { $0.hasPrefix("index/") })
            let indexOld = Set(original.keys.filter { $0.hasPrefix("index/") })
            #expect(indexNow == indexOld || indexNow.isDisjoint(with: indexOld) || indexNow == indexOld.subtracting(["index/12345/note"]),
                    "step \(step): index is a mix")
            let journalPath = salvage + "/journal.json"
            if FileManager.default.fileExists(atPath: journalPath) {
                let journal = try RepairJournal.load(journalPath)
                for entry in journal.entries where entry.action != .exchangeDirectory && entry.state == .done {
                    #expect(try ContentDigest.current(entry, root: store, version: journal.version) == entry.sha256After,
                            "step \(step): \(entry.path) does not match its journal entry")
                }
                let undo = try RepairCLI.run(["undo", journalPath, "--apply"])
                #expect(undo.status == 0, "step \(step): \(undo.stderr)")
                #expect(RepairCLI.snapshot(store) == original, "step \(step): undo did not restore the damaged store")
            } else {
                #expect(now == original, "step \(step): changed without a journal")
            }
            if !run.signaled {
                #expect(run.status == 0)
                // Rebuilt index files are named by their creation time: the rest must be the same.
                #expect(now.filter { !$0.key.hasPrefix("index/") } == final.filter { !$0.key.hasPrefix("index/") })
                break
            }
            step += 1
        }
        #expect(step > 3, "the repair took \(step) write steps")
    }

    /// Found by the campaign (seed 2): a commitlog file cut inside its first record, so the log
    /// ends at the file's start. The cut keeps 0 bytes; its digest, of the whole file, has no
    /// ":end:size" suffix, and the bytes were not saved, so undo could not restore them.
    @Test func cutAtTheStartOfAFileIsUndone() throws {
        let scenario = "rocketmq-4.9.8/ipv6_compressed_batch"
        let store = try copyStore(scenario)
        defer { try? FileManager.default.removeItem(atPath: store + "/..") }
        #expect(truncate(store + "/commitlog/00000000000000655360", 153) == 0)
        let damaged = RepairCLI.snapshot(store)
        let salvage = store + "/../salvage"
        let recover = try RepairCLI.run(["recover", store, "--apply", "--accept-loss", "--salvage-dir", salvage] + RepairCLITests.sizes)
        #expect(recover.status == 0, "\(recover.stdout)\(recover.stderr)")
        #expect(try RepairCLI.run(["verify", store] + RepairCLITests.sizes).status == 0)
        let undo = try RepairCLI.run(["undo", salvage + "/journal.json", "--apply"])
        #expect(undo.status == 0, "\(undo.stderr)")
        #expect(RepairCLI.snapshot(store) == damaged)
    }

    // MARK: damages

    static func apply(_ damage: Damage, to store: String) throws {
        switch damage {
        case .duplicateQueueUnit:
            try modify(store + "/" + queueFile(damage)!) { bytes in
                for i in 0..<20 { bytes[3 * 20 + i] = bytes[2 * 20 + i] }
            }
        case .zeroQueueUnit:
            try modify(store + "/" + queueFile(damage)!) { bytes in
                for i in 0..<20 { bytes[5 * 20 + i] = 0 }
            }
        case .headQueueFileDeleted:
            try FileManager.default.removeItem(atPath: store + "/" + queueFile(damage)!)
        case .queueDirectoryDeleted:
            try FileManager.default.removeItem(atPath: store + "/consumequeue/TopicA/2")
        case .tagsFlipped:
            // The first character of a TAGS value: the record still passes every check, its
            // tagsCode changes; the log is right by definition, the queue is rebuilt from it.
            let (file, record) = try dispatchedRecord(in: store, index: 5, withTags: true)
            try modify(store + "/" + file) { bytes in
                let at = bytes[record...].firstRange(of: Array("TAGS\u{1}".utf8))!.upperBound
                bytes[at] ^= 0x01
            }
        case .indexCycle, .indexEntryKeyChanged:
            let file = store + "/index/20261121212131491"
            try modify(file) { bytes in
                let slots = 64
                let count = int32(bytes, at: 36)
                let entry = { (index: Int) in 40 + 4 * slots + 20 * index }
                if damage == .indexCycle {
                    let (a, b) = (2, count - 2)
                    put(&bytes, a, at: entry(b) + 16)
                    put(&bytes, b, at: entry(a) + 16)
                } else {
                    // An interior entry names its record with another key hash in the same slot:
                    // the chains stay as putKey builds them, only the key is wrong.
                    let k = count / 2
                    put(&bytes, int32(bytes, at: entry(k)) + slots, at: entry(k))
                }
            }
        case .strayDirectories:
            for directory in ["consumequeue/TopicA/0/0000000000000000abcd", "index/12345"] {
                try FileManager.default.createDirectory(atPath: store + "/" + directory, withIntermediateDirectories: true)
                try Data("stray".utf8).write(to: URL(fileURLWithPath: store + "/" + directory + "/note"))
            }
        }
    }

    /// The `index`-th record of the first commitlog file dispatched to a consume queue (file,
    /// byte position), read from the fixture's expected/messages.ndjson.
    static func dispatchedRecord(in store: String, index: Int, withTags: Bool = false) throws -> (String, Int) {
        let text = try String(contentsOfFile: Fixtures.expected(scenario, "messages.ndjson"), encoding: .utf8)
        var found = 0
        for line in text.split(separator: "\n") {
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  object["type"] as? String == "msg", let topic = object["topic"] as? String, topic.hasPrefix("Topic") else { continue }
            let sysFlag = (object["sysFlag"] as? NSNumber)?.intValue ?? 0
            guard sysFlag & 0x0C == 0 else { continue }  // PREPARED/ROLLBACK records get no unit
            if withTags && !((object["propertiesRaw"] as? String)?.contains("TAGS\u{1}") ?? false) { continue }
            if found == index {
                return ("commitlog/" + (object["file"] as! String), (object["filePos"] as! NSNumber).intValue)
            }
            found += 1
        }
        throw CocoaError(.fileReadCorruptFile)
    }

    /// The last record of a queue (file, byte position), from expected/messages.ndjson.
    static func lastRecord(ofQueue topic: String, _ queueId: Int) throws -> (String, Int) {
        let text = try String(contentsOfFile: Fixtures.expected(scenario, "messages.ndjson"), encoding: .utf8)
        var last: (String, Int)?
        for line in text.split(separator: "\n") {
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  object["type"] as? String == "msg", object["topic"] as? String == topic,
                  (object["queueId"] as? NSNumber)?.intValue == queueId else { continue }
            last = ("commitlog/" + (object["file"] as! String), (object["filePos"] as! NSNumber).intValue)
        }
        return try #require(last)
    }

    static func modify(_ path: String, _ body: (inout [UInt8]) -> Void) throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        body(&bytes)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    static func int32(_ bytes: [UInt8], at: Int) -> Int {
        Int(bytes[at]) << 24 | Int(bytes[at + 1]) << 16 | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
    }

    static func put(_ bytes: inout [UInt8], _ value: Int, at: Int) {
        for i in 0..<4 { bytes[at + i] = UInt8(truncatingIfNeeded: value >> (24 - 8 * i)) }
    }
}
