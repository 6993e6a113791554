import Foundation
import RocketMQFormat
import RocketMQStore
import Testing
import TestSupport

/// `rmqstore put --flush sync` killed with SIGKILL at random points: every put it acknowledged
/// (printed PUT_OK) must be in the store after reopening (abnormal recovery), at the printed
/// physical offset and queue offset, with its body. Several rounds on one store, a few seconds
/// in all.
@Suite(.serialized) struct EngineCrashTests {
    struct Ack {
        var sequence: Int
        var queueId: Int32
        var queueOffset: Int64
        var physicalOffset: Int64
    }

    /// Runs one put process fed `lines` continuously, kills it after `killAfter` ms; returns
    /// the acknowledged puts.
    static func runAndKill(store: String, firstSequence: Int, killAfter: Int) throws -> [Ack] {
        signal(SIGPIPE, SIG_IGN)  // the feeder writes into the pipe of a killed child
        let binary = try #require(CLI.binary)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["put", store, "--flush", "sync", "--commitlog-file-size", "65536", "--cq-file-size", "1280",
                             "--index-slots", "64", "--index-entries", "256"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let feeder = Thread {
            var sequence = firstSequence
            while true {
                let body = "message-\(sequence)-" + String(repeating: "x", count: sequence % 700)
                let line = "{\"topic\":\"CrashTopic\",\"queueId\":\(sequence % 3),\"body\":\"\(body)\",\"keys\":\"seq-\(sequence)\"}\n"
                do { try input.fileHandleForWriting.write(contentsOf: Data(line.utf8)) } catch { return }
                sequence += 1
            }
        }
        feeder.start()
        usleep(useconds_t(killAfter * 1000))
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        var acks: [Ack] = []
        // Only complete lines count: a line cut by the kill was never acknowledged.
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            guard let json = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  json["status"] as? String == "PUT_OK" else { continue }
            acks.append(Ack(sequence: firstSequence + (json["line"] as! Int) - 1,
                            queueId: Int32(json["queueId"] as! Int),
                            queueOffset: (json["queueOffset"] as! NSNumber).int64Value,
                            physicalOffset: (json["physicalOffset"] as! NSNumber).int64Value))
        }
        return acks
    }

    @Test func acknowledgedPutsSurviveSIGKILL() throws {
        let store = NSTemporaryDirectory() + "rmqstore-crash-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: store) }
        var all: [Ack] = []
        var sequence = 0
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<6 {
            let acks = try Self.runAndKill(store: store, firstSequence: sequence, killAfter: Int.random(in: 150...500, using: &generator))
            all.append(contentsOf: acks)
            sequence = (acks.last?.sequence ?? sequence) + 1_000_000  // keep sequences distinct per round
            #expect(FileManager.default.fileExists(atPath: store + "/abort") || acks.isEmpty)
            // Reopen in process (abnormal recovery) and check every acknowledged put.
            let reopened = try MessageStore.open(store)
            for ack in all {
                let body = reopened.withMessage(at: ack.physicalOffset) { found in
                    found.map { String(decoding: $0.record.body, as: UTF8.self) }
                }
                #expect(body?.hasPrefix("message-\(ack.sequence)-") == true, "ack \(ack.sequence) at \(ack.physicalOffset) lost")
                let get = reopened.getMessage(topic: "CrashTopic", queueId: ack.queueId, offset: ack.queueOffset, maxCount: 1)
                #expect(get.messages.first?.physicalOffset == ack.physicalOffset)
            }
            // Queue offsets continue after the recovered ones.
            try reopened.close()
        }
        #expect(all.count > 20)
    }
}
