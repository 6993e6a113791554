// Property-based tests of the record codec and the other decoders (PropertyBased).

import PropertyBased
import RocketMQFormat
import Testing

// MARK: generators

/// One of `items`, uniformly.
private func pick<T: Sendable>(_ items: [T]) -> Generator<T, Shrink.Integer<Int>> {
    Gen.int(in: 0...(items.count - 1)).map { items[$0] }
}

private enum RecordGen {
    static let hostGen = zip(Gen.bool, Gen.uint8().array(of: 16), Gen.int32()).map { v6, bytes, port in
        HostAddress(address: v6 ? bytes : Array(bytes.prefix(4)), port: port)
    }

    static let textAlphabet: [Character] = [
        "a", "b", "Z", "0", "9", " ", "-", "_", "#", "|", "=", "é", "ß", "中", "😀", "\u{0}", "\u{7F}",
    ]
    static let wellKnownKeys = ["TAGS", "KEYS", "UNIQ_KEY", "WAIT", "DELAY", "REAL_TOPIC", "PGROUP"]

    static let keyGen = zip(
        Gen.bool, pick(wellKnownKeys),
        pick(textAlphabet).string(of: 1...12)
    ).map { useKnown, known, random in useKnown ? known : random }

    static let valueGen = pick(textAlphabet).string(of: 1...30)

    static let pairsGen = zip(keyGen, valueGen).array(of: 0...8)

    /// A valid record: V1 or V2, IPv4/IPv6 hosts with matching sysflag bits, random fields.
    static let recordGen = zip(
        Gen.bool, hostGen, hostGen, Gen.uint8().array(of: 0...2000), Gen.uint8().array(of: 0...300),
        pairsGen, Gen.int64().array(of: 8), Gen.int32().array(of: 4)
    ).map { v2, born, store, body, topic, pairs, longs, ints -> MessageRecord in
        var sysFlag = ints[2] & ~(MessageSysFlag.bornHostV6.rawValue | MessageSysFlag.storeHostV6.rawValue)
        if born.isIPv6 { sysFlag |= MessageSysFlag.bornHostV6.rawValue }
        if store.isIPv6 { sysFlag |= MessageSysFlag.storeHostV6.rawValue }
        var record = MessageRecord(
            version: v2 ? .v2 : .v1, queueId: ints[0], flag: ints[1], queueOffset: longs[0],
            physicalOffset: longs[1], sysFlag: sysFlag, bornTimestamp: longs[2], bornHost: born,
            storeTimestamp: longs[3], storeHost: store, reconsumeTimes: ints[3],
            preparedTransactionOffset: longs[4], body: body, topic: "",
            properties: MessageProperties.encode(pairs.map { (key: $0.0, value: $0.1) }, trailingSeparator: longs[5] & 1 == 0))
        record.topic = v2 ? topic : Array(topic.prefix(127))
        return record
    }

    static func bodyStart(_ record: MessageRecord) -> Int {
        48 + record.flags.bornHostLength + 8 + record.flags.storeHostLength + 16
    }
}

/// Reads every accessor of a decoded entry, so that a trap anywhere shows up.
@discardableResult
private func touch(_ entry: CommitLogEntry) -> Int {
    var sink = 0
    switch entry {
    case .message(let view):
        sink &+= view.topic.utf8.count &+ view.properties.count &+ view.propertiesString.utf8.count
        sink &+= view.bornHost?.description.utf8.count ?? 0
        sink &+= view.storeHost?.description.utf8.count ?? 0
        sink &+= Int(truncatingIfNeeded: view.tagsCode())
        sink &+= view.keys?.utf8.count ?? 0
        sink &+= view.uniqueKey?.utf8.count ?? 0
        sink &+= view.indexKeys.count
        sink &+= view.offsetMessageId.utf8.count
        sink &+= view.body.count &+ view.bytes.count &+ view.storeHostBytes.count
        sink &+= view.isScheduleTopic ? 1 : 0
        sink &+= view.transactionType.name.utf8.count
        sink &+= view.check.failure.map { $0.description.utf8.count &+ $0.code.utf8.count } ?? 0
        sink &+= MessageRecord(view).map { (try? $0.encode())?.count ?? 0 } ?? 0
    case .blank(let blank):
        sink &+= blank.bytesToFileEnd
    case .end(let end):
        sink &+= end.description.utf8.count
    }
    return sink
}

/// `MessageDecoder.string2messageProperties`, literally, over UTF-16 code units.
private func javaString2MessageProperties(_ properties: String) -> [String: String] {
    let units = Array(properties.utf16)
    let len = units.count
    func indexOf(_ unit: UInt16, from: Int) -> Int {
        var i = max(from, 0)
        while i < len { if units[i] == unit { return i }; i += 1 }
        return -1
    }
    func substring(_ a: Int, _ b: Int) -> String { String(decoding: units[a..<b], as: UTF16.self) }
    var map: [String: String] = [:]
    var index = 0
    while index < len {
        var newIndex = indexOf(2, from: index)
        if newIndex < 0 { newIndex = len }
        if newIndex - index >= 3 {
            let kvSepIndex = indexOf(1, from: index)
            if kvSepIndex > index && kvSepIndex < newIndex - 1 {
                map[substring(index, kvSepIndex)] = substring(kvSepIndex + 1, newIndex)
            }
        }
        index = newIndex + 1
    }
    return map
}

// MARK: tests

@Suite struct RecordPropertyTests {
    @Test func encodeDecodeRoundTrip() async throws {
        await propertyCheck(count: 300, input: RecordGen.recordGen) { record in
            let bytes: [UInt8]
            do { bytes = try record.encode() } catch {
                Issue.record("encode failed: \(error)")
                return
            }
            #expect(bytes.count == record.encodedLength)
            bytes.withUnsafeBytes { raw in
                guard case .message(let view) = RecordDecoder.decode(raw, at: 0) else {
                    Issue.record("not decoded as a message")
                    return
                }
                #expect(view.check.success)
                #expect(view.check.failure == nil)
                #expect(view.check.msgSize == Int32(bytes.count))
                #expect(view.isComplete)
                #expect(view.totalSize == Int32(bytes.count))
                #expect(view.version == record.version)
                #expect(view.bodyCRC == record.bodyCRC)
                #expect(view.queueId == record.queueId)
                #expect(view.flag == record.flag)
                #expect(view.queueOffset == record.queueOffset)
                #expect(view.physicalOffset == record.physicalOffset)
                #expect(view.sysFlag == record.sysFlag)
                #expect(view.bornTimestamp == record.bornTimestamp)
                #expect(view.bornHost == record.bornHost)
                #expect(view.storeTimestamp == record.storeTimestamp)
                #expect(view.storeHost == record.storeHost)
                #expect(view.reconsumeTimes == record.reconsumeTimes)
                #expect(view.preparedTransactionOffset == record.preparedTransactionOffset)
                #expect(Array(view.body) == record.body)
                #expect(Array(view.topicBytes) == record.topic)
                #expect(Array(view.propertiesBytes) == record.properties)
                #expect(view.properties == MessageProperties.parse(record.properties))
                #expect(view.offsetMessageId
                    == MessageId.offsetMessageId(storeHost: record.storeHost, physicalOffset: record.physicalOffset))
                let copy = MessageRecord(view)
                #expect(copy == record)
                #expect((try? copy?.encode()) == bytes)
            }
        }
    }

    @Test func propertiesOfGeneratedRecordsParseAsLastWins() async {
        await propertyCheck(count: 200, input: RecordGen.pairsGen, Gen.bool) { pairs, trailing in
            let encoded = MessageProperties.encode(pairs.map { (key: $0.0, value: $0.1) }, trailingSeparator: trailing)
            var expected: [String: String] = [:]
            for (k, v) in pairs { expected[k] = v }
            #expect(MessageProperties.parse(encoded) == expected)
            encoded.withUnsafeBytes { raw in
                #expect(MessageProperties.pairs(raw).map { "\($0.key)=\($0.value)" } == pairs.map { "\($0.0)=\($0.1)" })
            }
        }
    }

    @Test func decodingRandomBytesNeverTraps() async {
        await propertyCheck(
            count: 2000, input: Gen.uint8().array(of: 0...400), Gen.int(in: -12...420), Gen.int(in: 0...4),
            Gen.int32(in: -200...2000)
        ) { bytes, position, inject, size in
            var file = bytes
            if position >= 0, position + 8 <= file.count, inject > 0 {
                let magic: Int32 = switch inject {
                case 1: MessageVersion.v1Magic
                case 2: MessageVersion.v2Magic
                case 3: MessageVersion.blankMagic
                default: 0
                }
                withUnsafeBytes(of: size.bigEndian) { file.replaceSubrange(position..<position + 4, with: $0) }
                withUnsafeBytes(of: magic.bigEndian) { file.replaceSubrange(position + 4..<position + 8, with: $0) }
            }
            file.withUnsafeBytes { raw in
                touch(RecordDecoder.decode(raw, at: position))
                touch(RecordDecoder.decode(raw, at: position, options: .dispatch))
                touch(RecordDecoder.decode(raw, at: position, options: RecordCheckOptions(acceptVersion2: false)))
                // `message(in:at:)` is `decode`'s message case, and nil for everything else;
                // `withMessage` lends the same view, and calls its body for exactly those.
                for options in [RecordCheckOptions.recovery, .dispatch, RecordCheckOptions(acceptVersion2: false)] {
                    let view = RecordDecoder.message(in: raw, at: position, options: options)
                    var lent: MessageRecordView?
                    let found = RecordDecoder.withMessage(in: raw, at: position, options: options) { lent = copy $0 }
                    #expect(found == (lent != nil))
                    if case .message(let expected) = RecordDecoder.decode(raw, at: position, options: options) {
                        #expect(view?.check == expected.check && view?.totalSize == expected.totalSize
                                && view?.propertiesLength == expected.propertiesLength && view?.isComplete == expected.isComplete)
                        #expect(lent?.check == expected.check && lent?.totalSize == expected.totalSize && lent?.physicalOffset == expected.physicalOffset
                                && lent?.propertiesLength == expected.propertiesLength && lent?.isComplete == expected.isComplete)
                    } else {
                        #expect(view == nil)
                        #expect(!found)
                    }
                }
            }
        }
    }

    @Test func mutatedRecordsNeverTrap() async {
        await propertyCheck(
            count: 1000, input: RecordGen.recordGen, Gen.int(in: 0...3), Gen.int(in: 0...Int.max),
            Gen.uint8(in: 1...255)
        ) { record, mutation, where_, mask in
            guard var bytes = try? record.encode() else { Issue.record("encode failed"); return }
            let at = where_ % bytes.count
            switch mutation {
            case 0: bytes[at] ^= mask
            case 1: for i in at..<min(bytes.count, at + Int(mask)) { bytes[i] = 0 }
            case 2: bytes.removeSubrange(at...)
            default:
                // a few flips anywhere in the fixed header (where the lengths are)
                for k in 0..<4 { bytes[(at &+ k &* 7919) % min(bytes.count, 96)] ^= mask }
            }
            bytes.withUnsafeBytes { raw in
                touch(RecordDecoder.decode(raw, at: 0))
                touch(RecordDecoder.decode(raw, at: 0, options: .dispatch))
            }
        }
    }

    @Test func flippedBodyByteFailsTheCRCCheck() async {
        let nonEmpty = RecordGen.recordGen.filter { !$0.body.isEmpty }
        await propertyCheck(count: 300, input: nonEmpty, Gen.int(in: 0...Int.max), Gen.uint8(in: 1...255)) {
            record, where_, mask in
            guard var bytes = try? record.encode() else { Issue.record("encode failed"); return }
            let at = RecordGen.bodyStart(record) + where_ % record.body.count
            bytes[at] ^= mask
            bytes.withUnsafeBytes { raw in
                guard case .message(let view) = RecordDecoder.decode(raw, at: 0) else {
                    Issue.record("not a message")
                    return
                }
                #expect(view.check.success == false)
                guard case .bodyCRCMismatch(let stored, _)? = view.check.failure else {
                    Issue.record("expected bodyCRCMismatch, got \(String(describing: view.check.failure))")
                    return
                }
                #expect(stored == record.bodyCRC)
                // The dispatch path does not check the CRC.
                if case .message(let unchecked) = RecordDecoder.decode(raw, at: 0, options: .dispatch) {
                    #expect(unchecked.check.success)
                }
            }
        }
    }

    @Test func propertiesParseAgreesWithJava() async {
        let alphabet: [Character] = ["\u{1}", "\u{2}", "a", "é"]
        await propertyCheck(count: 1000, input: pick(alphabet).string(of: 0...40)) { text in
            #expect(MessageProperties.parse(Array(text.utf8)) == javaString2MessageProperties(text))
        }
    }

    @Test func javaHashCodeVectors() {
        #expect(JavaString.hashCode("TagA") == 2_598_919)
        #expect(JavaString.hashCode("TagB") == 2_598_920)
        #expect(JavaString.hashCode("TopicTest#KEY1") == -1_656_969_516)
        #expect(JavaString.hashCode("polygenelubricants") == Int32.min)
        #expect(JavaString.hashCode("Aa") == JavaString.hashCode("BB"))
        #expect(JavaString.hashCode("") == 0)
        for text in ["TagA", "TagB", "TopicTest#KEY1", "polygenelubricants"] {
            let utf8 = Array(text.utf8)
            utf8.withUnsafeBytes { #expect(JavaString.hashCode(utf8: $0) == JavaString.hashCode(text)) }
        }
    }

    @Test func javaHashCodeUTF8AgreesWithString() async {
        let alphabet: [Character] = ["a", "Z", "0", "#", " ", "é", "ß", "中", "😀", "𝄞", "\u{0}", "\u{7F}", "\u{80}", "\u{FFFF}"]
        await propertyCheck(count: 500, input: pick(alphabet).string(of: 0...40)) { text in
            let expected = text.utf16.reduce(Int32(0)) { $0 &* 31 &+ Int32($1) }
            #expect(JavaString.hashCode(text) == expected)
            let utf8 = Array(text.utf8)
            utf8.withUnsafeBytes { #expect(JavaString.hashCode(utf8: $0) == expected) }
        }
    }

    /// The eight-bytes-a-step hash against the definition, on raw bytes (ASCII with, half the
    /// time, one arbitrary byte: invalid UTF-8 included), from any start value, any length
    /// around the step.
    @Test func javaHashCodeContinuingAgreesOnRawBytes() async {
        await propertyCheck(
            count: 2000, input: Gen.uint8(in: 0...0x7F).array(of: 0...70), Gen.int32(), Gen.int(in: -70...70), Gen.uint8()
        ) { ascii, start, at, byte in
            var bytes = ascii
            if at >= 0 && at < bytes.count { bytes[at] = byte }
            let expected = String(decoding: bytes, as: UTF8.self).utf16.reduce(start) { $0 &* 31 &+ Int32($1) }
            bytes.withUnsafeBytes { #expect(JavaString.hashCode(continuing: start, utf8: $0) == expected) }
        }
    }

    @Test func offsetMessageIdRoundTrip() async {
        await propertyCheck(count: 500, input: RecordGen.hostGen, Gen.int64()) { host, offset in
            let id = MessageId.offsetMessageId(storeHost: host, physicalOffset: offset)
            #expect(id.utf8.count == (host.isIPv6 ? 56 : 32))
            #expect(id == id.uppercased())
            let decoded = MessageId.decodeOffsetMessageId(id)
            #expect(decoded?.storeHost == host)
            #expect(decoded?.physicalOffset == offset)
            #expect(MessageId.decodeOffsetMessageId(id.lowercased())?.physicalOffset == offset)
            #expect(MessageId.decodeOffsetMessageId(String(id.dropLast())) == nil)
        }
    }

    @Test func otherDecodersNeverTrap() async {
        await propertyCheck(
            count: 1000, input: Gen.uint8().array(of: 0...120), Gen.int(in: -30...130),
            Gen.int(in: 1...8), Gen.int(in: 2...16)
        ) { bytes, offset, slots, entries in
            bytes.withUnsafeBytes { raw in
                if let unit = try? ConsumeQueueUnit(decoding: raw, at: offset) {
                    _ = unit.description
                    _ = unit.isValid && unit.isPreBlank && unit.isAllZero
                    _ = unit.endOffset
                }
                if let checkpoint = try? StoreCheckpoint(decoding: raw) {
                    _ = checkpoint.minTimestamp &+ checkpoint.minTimestampIndex
                    _ = checkpoint.encoded().count
                    _ = checkpoint.hasVersion5Fields
                }
                _ = try? FastJSON.parse(raw)
            }
            // An index file of a valid size filled with random bytes (the header too).
            guard let layout = IndexFileLayout(hashSlotNum: slots, indexNum: entries) else {
                Issue.record("no layout for \(slots)/\(entries)")
                return
            }
            var file = [UInt8](repeating: 0, count: layout.fileSize)
            for i in file.indices { file[i] = bytes.isEmpty ? UInt8(truncatingIfNeeded: i &* 31) : bytes[i % bytes.count] &+ UInt8(truncatingIfNeeded: i / max(bytes.count, 1)) }
            // Make some slot and chain values point inside the file.
            if !bytes.isEmpty {
                for slot in 0..<slots where bytes[slot % bytes.count] & 1 == 0 {
                    let value = Int32(bytes[(slot * 7) % bytes.count]) % Int32(entries + 2) - 1
                    withUnsafeBytes(of: value.bigEndian) { file.replaceSubrange(layout.slotPosition(slot)..<layout.slotPosition(slot) + 4, with: $0) }
                }
                let count = Int32(bytes[0]) % Int32(entries + 3) - 1
                withUnsafeBytes(of: count.bigEndian) { file.replaceSubrange(36..<40, with: $0) }
                for index in 0..<entries where bytes[index % bytes.count] & 2 == 0 {
                    let prev = Int32(bytes[(index * 3) % bytes.count]) % Int32(entries + 2) - 1
                    let at = layout.entryPosition(index) + 16
                    withUnsafeBytes(of: prev.bigEndian) { file.replaceSubrange(at..<at + 4, with: $0) }
                }
            }
            file.withUnsafeBytes { raw in
                guard let view = try? IndexFileView(bytes: raw, layout: layout) else { return }
                _ = view.entries.count &+ view.nonEmptySlots.count
                for slot in -1...slots { _ = view.slotValue(slot) }
                for index in -1...entries { _ = view.entry(index) }
                for hash in [Int32.min, -1, 0, 1, 7, Int32(offset), Int32.max] {
                    var found: [Int64] = []
                    view.selectPhyOffsets(into: &found, keyHash: hash, maxNum: 64, begin: 0, end: .max)
                    view.selectPhyOffsets(into: &found, keyHash: hash, maxNum: 64, begin: Int64(offset), end: Int64(offset) + 1000)
                    _ = view.queryOffsets(keyHash: hash, begin: 0, end: .max, maxNum: 64)
                    _ = IndexFileView.queryOffsets(in: [view, view], keyHash: hash, begin: 0, end: .max, maxNum: 64)
                }
            }
        }
    }

    @Test func fastJSONNeverTrapsOnJSONishText() async {
        let alphabet: [Character] = ["{", "}", "[", "]", "\"", ":", ",", "0", "1", "-", ".", "e", "E", "+",
                                     "t", "r", "u", "f", "a", "l", "s", "n", "\\", " ", "\t", "\n", "é", "x"]
        await propertyCheck(count: 2000, input: pick(alphabet).string(of: 0...60)) { text in
            if let value = try? FastJSON.parse(text) {
                _ = JSONWriter.string(value, style: .compact)
            }
        }
        _ = try? FastJSON.parse(String(repeating: "[", count: 5000))
        _ = try? FastJSON.parse(String(repeating: "{\"a\":", count: 5000))
    }
}

@Suite struct DelayTextTests {
    @Test func shortAndLongValues() {
        let short = DelayText("abc")
        #expect(short.description == "abc" && short.count == 3 && short == DelayText("abc") && short != DelayText("abd"))
        let long = String(repeating: "x", count: 40) + "yz"
        let text = DelayText(long)
        #expect(text.count == 42)
        #expect(text.description == String(repeating: "x", count: 32) + "… (42 bytes)")
        #expect(text != DelayText(String(repeating: "x", count: 32)))  // same kept bytes, other length
        #expect(DelayText("").description == "" && DelayText("").count == 0)
        #expect(Set([short, DelayText("abc"), text]).count == 2)
    }
}

@Suite struct InvalidDelayTests {
    /// A DELAY on SCHEDULE_TOPIC_XXXX that Integer.parseInt rejects fails the check, and the
    /// failure keeps the text (cut at 32 bytes) for the finding.
    @Test(arguments: ["abc", "1 ", String(repeating: "9", count: 45) + "x"])
    func unparsableDelayFailsWithItsText(_ delay: String) throws {
        let host = HostAddress(address: [10, 0, 0, 1], port: 10911)
        let record = MessageRecord(
            queueId: 0, bornTimestamp: 1, bornHost: host, storeHost: host, body: [1, 2, 3], topic: "SCHEDULE_TOPIC_XXXX",
            properties: MessageProperties.encode([(key: "DELAY", value: delay), (key: "REAL_TOPIC", value: "T")]))
        let bytes = try record.encode()
        try bytes.withUnsafeBytes { raw in
            guard case .message(let view) = RecordDecoder.decode(raw, at: 0) else { Issue.record("not a message"); return }
            let failure = try #require(view.check.failure)
            #expect(failure == .invalidDelayLevel(DelayText(delay)))
            #expect(failure.code == "record.bad-delay-level")
            #expect(failure.description.hasPrefix("DELAY \"" + String(delay.prefix(32))))
        }
    }
}
