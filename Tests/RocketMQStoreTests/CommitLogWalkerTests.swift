import Foundation
import RocketMQFormat
import RocketMQStore
import Testing
import TestSupport

/// The walker and the record decoder against RocketMQ's own decoding of every fixture.
@Suite struct CommitLogWalkerTests {
    @Test(arguments: Fixtures.all)
    func everyRecordMatchesRocketMQ(_ scenario: String) throws {
        let expected = try String(contentsOfFile: Fixtures.expected(scenario, "messages.ndjson"), encoding: .utf8)
            .split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        let layout = try StoreLayout.discover(Fixtures.store(scenario))
        var index = 0
        var mismatches: [String] = []
        func next() -> [String: Any]? {
            guard index < expected.count else { return nil }
            defer { index += 1 }
            return expected[index]
        }
        try CommitLogWalker(layout: layout).walk { event in
            guard let line = next() else {
                mismatches.append("extra event \(event)")
                return .finish
            }
            let type = line["type"] as! String
            switch event {
            case .fileStart(let file):
                #expect(type == "file")
                #expect(line["file"] as? String == file.name)
                #expect((line["fileFromOffset"] as? NSNumber)?.int64Value == file.fromOffset)
                #expect((line["fileSize"] as? NSNumber)?.int64Value == file.size)
                #expect((line["configuredFileSize"] as? NSNumber)?.int64Value == layout.commitLogFileSize)
            case .message(let file, let record):
                #expect(type == "msg", "at \(file.name) @ \(record.position)")
                #expect((line["filePos"] as? Int) == record.position)
                #expect((line["totalSize"] as? NSNumber)?.int32Value == record.totalSize)
                let check = line["storeCheck"] as! [String: Any]
                #expect((check["msgSize"] as? NSNumber)?.int32Value == record.check.msgSize)
                #expect((check["success"] as? Bool) == record.check.success, "\(scenario) \(file.name)@\(record.position): \(String(describing: record.check.failure))")
                if line["decodeError"] != nil {
                    #expect(!record.isComplete)
                    return .proceed
                }
                func num(_ key: String) -> Int64? { (line[key] as? NSNumber)?.int64Value }
                let fields: [(String, Int64)] = [
                    ("bodyCRC", Int64(record.bodyCRC)), ("queueId", Int64(record.queueId)), ("flag", Int64(record.flag)),
                    ("queueOffset", record.queueOffset), ("physicalOffsetField", record.physicalOffset),
                    ("physicalOffset", file.fromOffset + Int64(record.position)),
                    ("sysFlag", Int64(record.sysFlag)), ("bornTimestamp", record.bornTimestamp),
                    ("storeTimestamp", record.storeTimestamp), ("reconsumeTimes", Int64(record.reconsumeTimes)),
                    ("preparedTransactionOffset", record.preparedTransactionOffset), ("bodyLen", Int64(record.bodyLength)),
                    ("topicLen", Int64(record.topicLength)), ("propertiesLen", Int64(record.propertiesLength)),
                ]
                for (key, value) in fields where num(key) != value {
                    mismatches.append("\(scenario) \(file.name)@\(record.position) \(key): expected \(String(describing: num(key))), got \(value)")
                }
                #expect(line["magic"] as? String == magicHex(record.magic))
                #expect(line["topic"] as? String == record.topic)
                #expect(line["propertiesRaw"] as? String == record.propertiesString)
                #expect((line["properties"] as? [String: String]) == record.properties)
                #expect(line["bornHost"] as? String == record.bornHost?.description)
                #expect(line["storeHost"] as? String == record.storeHost?.description)
                #expect(line["offsetMsgId"] as? String == record.offsetMessageId)
                if let version = line["messageVersion"] as? String { #expect(version == record.version.name) }
                let bodyMatches = CRC32.rocketMQ(record.body) == record.bodyCRC
                #expect((line["bodyCRCMatches"] as? Bool) == bodyMatches)
                if record.check.success {
                    #expect((check["tagsCode"] as? NSNumber)?.int64Value == record.tagsCode())
                    #expect((check["keys"] as? String) == record.keys)
                    #expect((check["uniqKey"] as? String) == record.uniqueKey)
                    // Round trip: re-encoding gives the original bytes.
                    let copy = try #require(MessageRecord(record))
                    #expect(try copy.encode() == Array(record.bytes))
                }
            case .blank(let file, let blank):
                #expect(type == "blank", "\(file.name)@\(blank.position)")
                #expect((line["filePos"] as? Int) == blank.position)
                #expect((line["totalSize"] as? NSNumber)?.int32Value == blank.totalSize)
                #expect((line["bytesToFileEnd"] as? Int) == blank.bytesToFileEnd)
            case .stop(let file, let stop):
                #expect(type == "end", "\(scenario) \(file.name)@\(stop.position): \(stop.description)")
                #expect((line["filePos"] as? Int) == stop.position)
            }
            return .proceed
        }
        #expect(index == expected.count, "consumed \(index) of \(expected.count) expected lines")
        #expect(mismatches.isEmpty, "\(mismatches.prefix(10))")
    }
}
