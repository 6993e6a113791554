// The repair commands through the built binary: plans, exit codes, and a kill (SIGKILL) after
// every durable write step leaving each file old or new, a complete journal, and an undo that
// restores the original bytes.

import Foundation
import RocketMQFormat
import RocketMQStore
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

enum RepairCLI {
    /// Runs the binary with extra environment variables.
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> RunResult {
        try CLI.run(executable: try #require(CLI.binary, "rmqstore binary not found"), arguments, environment: environment)
    }

    static func snapshot(_ root: String) -> [String: Data] {
        var result: [String: Data] = [:]
        guard let walker = FileManager.default.enumerator(atPath: root) else { return result }
        while let relative = walker.nextObject() as? String {
            var isDirectory: ObjCBool = false
            FileManager.default.fileExists(atPath: root + "/" + relative, isDirectory: &isDirectory)
            if !isDirectory.boolValue && relative != "lock" { result[relative] = FileManager.default.contents(atPath: root + "/" + relative) }
        }
        return result
    }
}

@Suite struct RepairCLITests {
    static let sizes = ["--commitlog-file-size", "65536", "--cq-file-size", "1280", "--index-slots", "64", "--index-entries", "256"]

    @Test func recoverDryRunChangesNothingAndExitsOne() throws {
        let store = try copyStore("rocketmq-4.9.8/crash_killed")
        let before = RepairCLI.snapshot(store)
        let result = try RepairCLI.run(["recover", store] + Self.sizes)
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("dry run"))
        #expect(RepairCLI.snapshot(store) == before)
        let json = try RepairCLI.run(["recover", store, "--format", "json"] + Self.sizes)
        let lines = jsonLines(json)
        #expect(lines.first?["type"] as? String == "end")
        #expect(int64(lines.first?["endOffset"]) == 1615470)
        #expect(lines.last?["type"] as? String == "summary")
    }

    @Test func midLogDamageExits65() throws {
        let result = try RepairCLI.run(["recover", Fixtures.store("rocketmq-4.9.8/corrupt_b_crc_flip_middle"), "--apply"] + Self.sizes)
        #expect(result.status == 65)
        #expect(result.stdout.contains("salvage"))
    }

    @Test func previewAndRecoverPreviewAgree() throws {
        let store = Fixtures.store("rocketmq-4.9.8/corrupt_a2_torn_file_truncated")
        let a = try RepairCLI.run(["preview", store, "--format", "json"] + Self.sizes)
        let b = try RepairCLI.run(["recover", store, "--preview", "--format", "json"] + Self.sizes)
        #expect(a.status == 1 && b.status == 1)
        #expect(a.stdout == b.stdout)
        #expect(a.stdout.contains("\"loadFailure\""))
    }

    @Test func lockedStoreExits75() throws {
        let store = try copyStore("rocketmq-4.9.8/corrupt_a_torn_tail_zeroed")
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        child.arguments = ["-c", "import fcntl,time,sys; f=open(sys.argv[1],'r+'); fcntl.lockf(f, fcntl.LOCK_EX|fcntl.LOCK_NB, 1, 0); print('ok', flush=True); time.sleep(30)", store + "/lock"]
        let pipe = Pipe()
        child.standardOutput = pipe
        try child.run()
        defer { child.terminate() }
        _ = pipe.fileHandleForReading.availableData
        let result = try RepairCLI.run(["recover", store, "--apply"] + Self.sizes)
        #expect(result.status == 75, "\(result.stderr)")
        #expect(result.stderr.contains("lock"))
    }

    /// Kills `recover --apply` after write step 1, 2, … until it completes; after every kill each
    /// file is its old or its new version, the journal parses and matches the files, and undo
    /// brings back the original bytes.
    @Test(arguments: ["rocketmq-4.9.8/corrupt_a_torn_tail_zeroed", "rocketmq-4.9.8/crash_killed"])
    func killAtEveryWriteStep(_ scenario: String) throws {
        let original = RepairCLI.snapshot(Fixtures.store(scenario))
        // The new version of every file, from an uninterrupted run.
        let reference = try copyStore(scenario)
        let done = try RepairCLI.run(["recover", reference, "--apply", "--salvage-dir", reference + "/../salvage"] + Self.sizes)
        #expect(done.status == 0, "\(done.stdout)\(done.stderr)")
        let final = RepairCLI.snapshot(reference)
        var step = 1
        while step < 100 {
            let store = try copyStore(scenario)
            let salvage = store + "/../salvage"
            let run = try RepairCLI.run(["recover", store, "--apply", "--salvage-dir", salvage] + Self.sizes,
                                        environment: ["RMQSTORE_CRASH_AFTER_STEP": String(step)])
            let now = RepairCLI.snapshot(store).filter { !$0.key.hasPrefix(".rmqstore-staging-") }
            for (path, bytes) in now where !path.hasPrefix("index/") {
                #expect(bytes == original[path] || bytes == final[path], "step \(step): \(path) is neither old nor new")
            }
            for (path, _) in original where !path.hasPrefix("index/") && now[path] == nil {
                #expect(final[path] == nil, "step \(step): \(path) vanished")
            }
            let indexNow = Set(now.keys.filter { $0.hasPrefix("index/") })
            let indexOld = Set(original.keys.filter { $0.hasPrefix("index/") })
            #expect(indexNow == indexOld || indexNow.isDisjoint(with: indexOld), "step \(step): index is a mix")
            let journalPath = salvage + "/journal.json"
            if FileManager.default.fileExists(atPath: journalPath) {
                let journal = try RepairJournal.load(journalPath)
                for entry in journal.entries {
                    let current = try ContentDigest.current(entry, root: store, version: journal.version)
                    switch entry.state {
                    case .pending: #expect(current == entry.sha256Before, "step \(step): \(entry.path) changed before its journal entry")
                    case .done: #expect(current == entry.sha256After, "step \(step): \(entry.path) does not match its journal entry")
                    case .applying: #expect(current == entry.sha256Before || now[entry.path] == final[entry.path])
                    }
                }
                let undo = try RepairCLI.run(["undo", journalPath, "--apply"])
                #expect(undo.status == 0, "step \(step): \(undo.stderr)")
                #expect(RepairCLI.snapshot(store) == original, "step \(step): undo did not restore the original")
            } else {
                #expect(now == original, "step \(step): changed without a journal")
            }
            if !run.signaled {
                #expect(run.status == 0)
                break
            }
            step += 1
        }
        #expect(step > 5, "fewer write steps than expected")
    }

    /// Kills `undo --apply` after its write step 1, 2, … until it completes. After every kill
    /// each file is the repaired or the original version (a cut range written back in place may
    /// be between), and `undo --apply` again finishes the job: the original bytes, every one.
    @Test(arguments: ["rocketmq-4.9.8/corrupt_a_torn_tail_zeroed", "rocketmq-4.9.8/crash_killed"])
    func undoKilledAtEveryStepIsFinishedByUndoAgain(_ scenario: String) throws {
        let original = RepairCLI.snapshot(Fixtures.store(scenario))
        var step = 1
        var repaired: [String: Data] = [:]
        while step < 100 {
            let store = try copyStore(scenario)
            let salvage = store + "/../salvage"
            let recover = try RepairCLI.run(["recover", store, "--apply", "--salvage-dir", salvage] + Self.sizes)
            #expect(recover.status == 0, "\(recover.stdout)\(recover.stderr)")
            if repaired.isEmpty { repaired = RepairCLI.snapshot(store) }
            let journal = salvage + "/journal.json"
            let killed = try RepairCLI.run(["undo", journal, "--apply"], environment: ["RMQSTORE_CRASH_AFTER_UNDO_STEP": String(step)])
            let now = RepairCLI.snapshot(store).filter { !$0.key.hasPrefix(".rmqstore-staging-") }
            for (path, bytes) in now where !path.hasPrefix("index/") && !path.hasPrefix("commitlog/") {
                #expect(bytes == original[path] || bytes == repaired[path], "step \(step): \(path) is neither old nor new")
            }
            let again = try RepairCLI.run(["undo", journal, "--apply"])
            #expect(again.status == 0, "step \(step): \(again.stdout)\(again.stderr)")
            #expect(RepairCLI.snapshot(store) == original, "step \(step): undo again did not restore the original")
            if !killed.signaled {
                #expect(killed.status == 0)
                break
            }
            step += 1
        }
        #expect(step > 3, "fewer undo steps than expected")
    }
}
