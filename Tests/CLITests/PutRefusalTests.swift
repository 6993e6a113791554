// `rmqstore put` opens a store the way a broker starts. On a store whose start would throw
// records away it must refuse and change nothing; on one whose start cuts nothing it appends.

import Foundation
#if canImport(Glibc)
import Glibc
#endif
import TestSupport
import Testing

@Suite struct PutRefusalTests {
    static let line = Data("{\"topic\":\"TopicA\",\"queueId\":0,\"body\":\"x\"}\n".utf8)

    /// (status, stdout, stderr) of `put store` fed one message.
    static func put(_ store: String) throws -> (status: Int32, stdout: String, stderr: String) {
        signal(SIGPIPE, SIG_IGN)  // a refusing put exits without reading its input
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(CLI.binary))
        process.arguments = ["put", store]
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        try? input.fileHandleForWriting.write(contentsOf: line)  // a refusing put may not read it
        try input.fileHandleForWriting.close()
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }

    /// A body CRC flipped in the last file: normal recovery would cut every record after it.
    @Test func aStoreWhoseStartCutsRecordsIsRefusedUntouched() throws {
        let store = try copyStore("rocketmq-4.9.8/corrupt_b2_crc_flip_last_file")
        let before = RepairCLI.snapshot(store)
        let result = try Self.put(store)
        #expect(result.status == 65, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("would cut the log at 789579"))
        #expect(result.stderr.contains("rmqstore recover"))
        #expect(RepairCLI.snapshot(store) == before)
    }

    /// `crash_killed`: abnormal recovery, but only zeros follow the cut: the put goes in.
    @Test func aCrashedStoreWhoseTailIsZerosTakesThePut() throws {
        let store = try copyStore("rocketmq-4.9.8/crash_killed")
        let result = try Self.put(store)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("\"physicalOffset\":1615470"))
    }
}
