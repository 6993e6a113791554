// Decodes the record at a position of a commitlog file, with RocketMQ's own verdict.
//
// The order of reads and the failure rules follow `CommitLog.checkMessageAndReturnSize`
// (FORMAT.md §11.3) field by field, because recovery and verify must cut exactly where a real
// broker would: a field past the end of the file, a length larger than TOTALSIZE or negative,
// a body CRC mismatch, an unparsable DELAY, or TOTALSIZE ≠ the size formula. Every read is
// bounds-checked: arbitrary bytes never trap.

public enum RecordDecoder {
    /// The smallest possible record: empty body, empty topic, no properties, IPv4 hosts.
    public static let minimumRecordSize: Int32 = 91

    /// TOTALSIZE per `calMsgLength` (FORMAT.md §2.2).
    @inlinable
    public static func calculatedLength(
        sysFlag: Int32, bodyLength: Int, topicLength: Int, propertiesLength: Int, version: MessageVersion = .v1
    ) -> Int {
        let flags = MessageSysFlag(rawValue: sysFlag)
        return 4 + 4 + 4 + 4 + 4 + 8 + 8 + 4 + 8 + flags.bornHostLength + 8 + flags.storeHostLength + 4 + 8
            + 4 + max(bodyLength, 0) + version.topicLengthWidth + topicLength + 2 + max(propertiesLength, 0)
    }

    /// Decodes what is at `position` of `file`.
    public static func decode(
        _ file: UnsafeRawBufferPointer, at position: Int, options: RecordCheckOptions = .recovery
    ) -> CommitLogEntry {
        let remaining = file.count - position
        guard position >= 0, remaining >= 8 else {
            let sizeField: Int32? = remaining >= 4 ? file.readBigEndian(at: position) : nil
            return .end(EndOfData(position: position, reason: .fewerThan8Bytes, totalSizeField: sizeField,
                                  restIsZero: file.isAllZero(from: position)))
        }
        let totalSize: Int32 = file.readBigEndianUnchecked(at: position)
        let magic: Int32 = file.readBigEndianUnchecked(at: position + 4)
        if magic == MessageVersion.blankMagic {
            return .blank(BlankMarker(position: position, totalSize: totalSize, bytesToFileEnd: remaining))
        }
        guard let version = MessageVersion(magic: magic), version == .v1 || options.acceptVersion2 else {
            guard options.checksZeroTail || totalSize != 0 || magic != 0 else {
                return .end(EndOfData(position: position, reason: .zeroFilled, totalSizeField: 0, restIsZero: false))
            }
            let restIsZero = totalSize == 0 && magic == 0 && file.isAllZero(from: position)
            return .end(EndOfData(position: position, reason: restIsZero ? .zeroFilled : .illegalMagic(magic),
                                  totalSizeField: totalSize, restIsZero: restIsZero))
        }
        return .message(decodeMessage(file, at: position, totalSize: totalSize, version: version, options: options))
    }

    /// `decode` for a walk that only goes on over messages: the record at `position` when a
    /// message magic is there (the same view `decode` gives, its check included), else nil
    /// (`decode` says what is there instead). Returns the view itself, not an enum holding it:
    /// a view is a few hundred bytes, and the walks of rebuild and recover copy each one less.
    public static func message(
        in file: UnsafeRawBufferPointer, at position: Int, options: RecordCheckOptions = .recovery
    ) -> MessageRecordView? {
        guard let (totalSize, version) = messageStart(file, at: position, options: options) else { return nil }
        return decodeMessage(file, at: position, totalSize: totalSize, version: version, options: options)
    }

    /// TOTALSIZE and the version of the message starting at `position` (decoded by `options`);
    /// nil when none does: fewer than 8 bytes, or no message magic there.
    @inline(__always)
    static func messageStart(_ file: UnsafeRawBufferPointer, at position: Int, options: RecordCheckOptions) -> (Int32, MessageVersion)? {
        guard position >= 0, file.count - position >= 8 else { return nil }
        let totalSize: Int32 = file.readBigEndianUnchecked(at: position)
        let magic: Int32 = file.readBigEndianUnchecked(at: position + 4)
        guard let version = MessageVersion(magic: magic), version == .v1 || options.acceptVersion2 else { return nil }
        return (totalSize, version)
    }

    /// `message(in:at:options:)` handing the view to `body` instead of returning it: the view is
    /// built once, where `body` borrows it, and never copied (a few hundred bytes, copied three
    /// times on the way out of the returning form: a tenth of a rebuild walk's time). False
    /// (`body` not called) when no message magic is at `position`.
    public static func withMessage(
        in file: UnsafeRawBufferPointer, at position: Int, options: RecordCheckOptions = .recovery,
        _ body: (borrowing MessageRecordView) -> Void
    ) -> Bool {
        guard let (totalSize, version) = messageStart(file, at: position, options: options) else { return false }
        let view = decodeMessage(file, at: position, totalSize: totalSize, version: version, options: options)
        body(view)
        return true
    }

    // Reads the fields in Java's order. `failure` keeps the first reason Java would fail for;
    // decoding goes on as far as the bytes allow so that tools can still show the fields.
    static func decodeMessage(
        _ file: UnsafeRawBufferPointer, at start: Int, totalSize: Int32, version: MessageVersion,
        options: RecordCheckOptions
    ) -> MessageRecordView {
        // The failure state and the bounds checks as a local struct's mutating methods: nested
        // functions capturing local vars cost a run-time exclusivity check per call here.
        var bounds = DecodeBounds(available: file.count - start, totalSize: totalSize)
        if totalSize < 0 { bounds.fail(.negativeTotalSize(totalSize)) }
        if version == .v2 && !options.acceptVersion2 { bounds.fail(.unsupportedVersion(version.magic)) }

        // Fixed part up to and including BORNTIMESTAMP: 48 bytes.
        var bodyCRC: Int32 = 0, queueId: Int32 = 0, flag: Int32 = 0, sysFlag: Int32 = 0
        var queueOffset: Int64 = 0, physicalOffset: Int64 = 0, bornTimestamp: Int64 = 0
        var storeTimestamp: Int64 = 0, reconsumeTimes: Int32 = 0, prepared: Int64 = 0
        var bodyLength: Int32 = 0, topicLength = 0, propertiesLength: Int16 = 0
        var bornHostPos = -1, storeHostPos = -1, bodyPos = -1, topicPos = -1, propertiesPos = -1
        var computedBodyCRC: Int32?

        decoding: do {
            if bounds.truncated(.bornTimestamp, 8, 40) { break decoding }
            bodyCRC = file.readBigEndianUnchecked(at: start + 8)
            queueId = file.readBigEndianUnchecked(at: start + 12)
            flag = file.readBigEndianUnchecked(at: start + 16)
            queueOffset = file.readBigEndianUnchecked(at: start + 20)
            physicalOffset = file.readBigEndianUnchecked(at: start + 28)
            sysFlag = file.readBigEndianUnchecked(at: start + 36)
            bornTimestamp = file.readBigEndianUnchecked(at: start + 40)
            let flags = MessageSysFlag(rawValue: sysFlag)
            var cursor = 48

            let bornLength = flags.bornHostLength
            if bounds.exceedsTotal(.bornHost, bornLength) || bounds.truncated(.bornHost, cursor, bornLength) { break decoding }
            bornHostPos = cursor
            cursor += bornLength

            if bounds.truncated(.storeTimestamp, cursor, 8) { break decoding }
            storeTimestamp = file.readBigEndianUnchecked(at: start + cursor)
            cursor += 8

            let storeLength = flags.storeHostLength
            if bounds.exceedsTotal(.storeHostAddress, storeLength) || bounds.truncated(.storeHostAddress, cursor, storeLength) {
                break decoding
            }
            storeHostPos = cursor
            cursor += storeLength

            if bounds.truncated(.bodyLength, cursor, 16) { break decoding }
            reconsumeTimes = file.readBigEndianUnchecked(at: start + cursor)
            prepared = file.readBigEndianUnchecked(at: start + cursor + 4)
            bodyLength = file.readBigEndianUnchecked(at: start + cursor + 12)
            cursor += 16

            if bodyLength > 0 {
                if bounds.exceedsTotal(.bodyLength, Int(bodyLength)) || bounds.truncated(.body, cursor, Int(bodyLength)) {
                    break decoding
                }
                bodyPos = cursor
                if options.checkCRC {
                    let body = UnsafeRawBufferPointer(rebasing: file[(start + cursor)..<(start + cursor + Int(bodyLength))])
                    let computed = CRC32.rocketMQ(body)
                    computedBodyCRC = computed
                    if computed != bodyCRC {
                        if bounds.failure == nil { bounds.failure = .bodyCRCMismatch(stored: bodyCRC, computed: computed) }
                    }
                }
                cursor += Int(bodyLength)
            } else {
                bodyPos = cursor
            }

            if version == .v1 {
                if bounds.truncated(.topicLength, cursor, 1) { break decoding }
                topicLength = Int(Int8(bitPattern: file[start + cursor]))
                cursor += 1
            } else {
                if bounds.truncated(.topicLength, cursor, 2) { break decoding }
                topicLength = Int(file.readBigEndianUnchecked(Int16.self, at: start + cursor))
                cursor += 2
            }
            if bounds.exceedsTotal(.topicLength, topicLength) || bounds.truncated(.topic, cursor, topicLength) { break decoding }
            topicPos = cursor
            cursor += topicLength

            if bounds.truncated(.propertiesLength, cursor, 2) { break decoding }
            propertiesLength = file.readBigEndianUnchecked(at: start + cursor)
            cursor += 2
            propertiesPos = cursor
            if propertiesLength > 0 {
                if bounds.exceedsTotal(.propertiesLength, Int(propertiesLength))
                    || bounds.truncated(.properties, cursor, Int(propertiesLength)) {
                    break decoding
                }
                cursor += Int(propertiesLength)
            }
        }

        var check: StoreCheck
        if let failure = bounds.failure {
            check = .failed(failure)
        } else {
            let computed = calculatedLength(
                sysFlag: sysFlag, bodyLength: Int(bodyLength), topicLength: topicLength,
                propertiesLength: Int(propertiesLength), version: version)
            check = .ok(totalSize)
            // A DELAY that Integer.parseInt rejects makes Java throw before the size check.
            if propertiesLength > 0, topicLength == 19,
               file[(start + topicPos)..<(start + topicPos + 19)].elementsEqual(DelayLevelTable.scheduleTopic.utf8) {
                let properties = UnsafeRawBufferPointer(
                    rebasing: file[(start + propertiesPos)..<(start + propertiesPos + Int(propertiesLength))])
                if let delay = MessageProperties.value(of: "DELAY", in: properties) {
                    let text = String(decoding: delay, as: UTF8.self)
                    if JavaString.parseInt(text) == nil { check = .failed(.invalidDelayLevel(DelayText(delay))) }
                }
            }
            if check.success && computed != Int(totalSize) {
                check = .failed(.sizeMismatch(totalSize: totalSize, computed: Int32(truncatingIfNeeded: computed)),
                                size: totalSize)
            }
        }

        return MessageRecordView(
            file: file, position: start, totalSize: totalSize, version: version, bodyCRC: bodyCRC,
            queueId: queueId, flag: flag, queueOffset: queueOffset, physicalOffset: physicalOffset,
            sysFlag: sysFlag, bornTimestamp: bornTimestamp, storeTimestamp: storeTimestamp,
            reconsumeTimes: reconsumeTimes, preparedTransactionOffset: prepared, bodyLength: bodyLength,
            topicLength: topicLength, propertiesLength: propertiesLength, bornHostPosition: bornHostPos,
            storeHostPosition: storeHostPos, bodyPosition: bodyPos, topicPosition: topicPos,
            propertiesPosition: propertiesPos, isComplete: bounds.complete, check: check,
            computedBodyCRC: computedBodyCRC)
    }
}
