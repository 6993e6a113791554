// The `msg` line of the JSON dump (schema v1, README "JSON schema").
//
// This is the dump's hot path (one line per record, a million lines a second), so it writes
// through a JSONCursor: keys are literal fragments, numbers, hosts, ids and digests are
// formatted straight from the record's bytes, and the properties string is parsed once into
// the writer's scratch buffer, which serves `properties`, `tagsCode`, `keys` and `uniqKey`.
// Nothing is allocated per record (but for compressed bodies, which are inflated).

extension RecordDescriber {
    public func writeMessage(
        _ record: MessageRecordView, file: String, fileFromOffset: Int64, into w: inout JSONLineWriter
    ) {
        w.beginObject()
        w.withCursor { c in writeMessageFields(record, file: file, fileFromOffset: fileFromOffset, into: &c) }
        w.endObject()
    }

    private func writeMessageFields(
        _ record: MessageRecordView, file: String, fileFromOffset: Int64, into c: inout JSONCursor
    ) {
        c.literal("\"type\":\"msg\",\"file\":")
        c.repeatedString(file)
        c.literal(",\"filePos\":")
        c.decimal(Int64(record.position))
        c.literal(",\"physicalOffset\":")
        c.decimal(fileFromOffset + Int64(record.position))
        c.literal(",\"totalSize\":")
        c.decimal(Int64(record.totalSize))
        c.literal(",\"magic\":")
        c.magic(record.magic)
        c.literal(record.version == .v1 ? ",\"messageVersion\":\"V1\"" : ",\"messageVersion\":\"V2\"")
        guard record.isComplete else {
            c.literal(",\"decodeError\":")
            c.string(Self.decodeError(record))
            writeCheck(record.check, into: &c)
            return
        }
        c.literal(",\"bodyCRC\":")
        c.decimal(Int64(record.bodyCRC))
        c.literal(",\"queueId\":")
        c.decimal(Int64(record.queueId))
        c.literal(",\"flag\":")
        c.decimal(Int64(record.flag))
        c.literal(",\"queueOffset\":")
        c.decimal(record.queueOffset)
        c.literal(",\"physicalOffsetField\":")
        c.decimal(record.physicalOffset)
        c.literal(",\"sysFlag\":")
        c.decimal(Int64(record.sysFlag))
        switch record.transactionType {
        case .notType: c.literal(",\"transactionType\":\"not\"")
        case .prepared: c.literal(",\"transactionType\":\"prepared\"")
        case .commit: c.literal(",\"transactionType\":\"commit\"")
        case .rollback: c.literal(",\"transactionType\":\"rollback\"")
        }
        let flags = record.flags
        c.literal(",\"bornTimestamp\":")
        c.decimal(record.bornTimestamp)
        c.literal(",\"bornHost\":")
        writeHost(record, at: record.bornHostPosition, length: flags.bornHostLength, into: &c)
        c.literal(",\"storeTimestamp\":")
        c.decimal(record.storeTimestamp)
        c.literal(",\"storeHost\":")
        writeHost(record, at: record.storeHostPosition, length: flags.storeHostLength, into: &c)
        c.literal(",\"reconsumeTimes\":")
        c.decimal(Int64(record.reconsumeTimes))
        c.literal(",\"preparedTransactionOffset\":")
        c.decimal(record.preparedTransactionOffset)
        c.literal(",\"topic\":")
        c.string(utf8: record.topicBytes)
        c.literal(",\"topicLen\":")
        c.decimal(Int64(record.topicLength))
        let body = record.body
        c.literal(",\"bodyLen\":")
        c.decimal(Int64(record.bodyLength))
        if includeDigests {
            c.literal(",\"bodySha256\":")
            writeDigest(body, into: &c)
        }
        let bodyCRC = record.computedBodyCRC ?? CRC32.rocketMQ(body)
        c.literal(bodyCRC == record.bodyCRC ? ",\"bodyCRCMatches\":true" : ",\"bodyCRCMatches\":false")
        c.literal(",\"propertiesLen\":")
        c.decimal(Int64(record.propertiesLength))
        let properties = record.propertiesBytes
        c.literal(",\"propertiesRaw\":")
        let pairStorage = c.pairScratch(PropertyPairs.capacity(for: properties))
        let pairs: UnsafeBufferPointer<PropertyPairs.Pair>
        let escapedOnce: Bool
        if let count = c.propertiesRaw(properties, pairs: pairStorage) {
            pairs = UnsafeBufferPointer(start: pairStorage, count: count)
            escapedOnce = true
        } else {
            c.string(utf8: properties)
            pairs = UnsafeBufferPointer(start: pairStorage, count: PropertyPairs.collect(properties, into: pairStorage))
            escapedOnce = false
        }
        c.literal(",\"properties\":")
        // Where the KEYS and UNIQ_KEY values went in the map: the top-level `keys` and
        // `uniqKey` copy them instead of escaping them again.
        var keysJSON: Range<Int>?
        var uniqueKeyJSON: Range<Int>?
        c.byte(UInt8(ascii: "{"))
        for (i, pair) in pairs.enumerated() {
            if i > 0 { c.byte(UInt8(ascii: ",")) }
            let start: Int
            if escapedOnce {
                c.byte(UInt8(ascii: "\""))
                c.copyWritten(from: pair.keyJSON.lowerBound, to: pair.keyJSON.upperBound)
                c.literal("\":")
                start = c.offset
                c.byte(UInt8(ascii: "\""))
                c.copyWritten(from: pair.valueJSON.lowerBound, to: pair.valueJSON.upperBound)
                c.byte(UInt8(ascii: "\""))
            } else {
                c.string(utf8: pair.key)
                c.byte(UInt8(ascii: ":"))
                start = c.offset
                c.string(utf8: pair.value)
            }
            if PropertyPairs.equal(pair.key, "KEYS") {
                keysJSON = start..<c.offset
            } else if PropertyPairs.equal(pair.key, "UNIQ_KEY") {
                uniqueKeyJSON = start..<c.offset
            }
        }
        c.byte(UInt8(ascii: "}"))
        c.literal(",\"offsetMsgId\":\"")
        c.hex(record.storeHostBytes, uppercase: true)
        withUnsafeBytes(of: record.physicalOffset.bigEndian) { c.hex($0, uppercase: true) }
        c.byte(UInt8(ascii: "\""))
        if flags.contains(.compressed) { writeDecompressed(body, sysFlag: record.sysFlag, into: &c) }
        if record.check.success {
            // As MessageRecordView's tagsCode/keys/uniqueKey: last occurrence wins; KEYS is
            // "" without properties and null when absent.
            let hasProperties = record.propertiesLength > 0
            let tags = hasProperties ? PropertyPairs.value(of: "TAGS", in: pairs) : nil
            let delay = hasProperties ? PropertyPairs.value(of: "DELAY", in: pairs) : nil
            c.literal(",\"tagsCode\":")
            c.decimal(hasProperties ? record.tagsCode(tags: tags, delay: delay, delayLevels: delayLevels) : 0)
            c.literal(",\"keys\":")
            if !hasProperties {
                c.literal("\"\"")
            } else if let keysJSON {
                c.copyWritten(from: keysJSON.lowerBound, to: keysJSON.upperBound)
            } else {
                c.literal("null")
            }
            c.literal(",\"uniqKey\":")
            if hasProperties, let uniqueKeyJSON {
                c.copyWritten(from: uniqueKeyJSON.lowerBound, to: uniqueKeyJSON.upperBound)
            } else {
                c.literal("null")
            }
        }
        writeCheck(record.check, into: &c)
        switch bodyMode {
        case .none: break
        case .text:
            c.literal(",\"body\":")
            c.string(utf8: body)
        case .hex:
            c.literal(",\"bodyHex\":\"")
            c.hex(body)
            c.byte(UInt8(ascii: "\""))
        case .base64:
            c.literal(",\"bodyBase64\":\"")
            c.base64(body)
            c.byte(UInt8(ascii: "\""))
        }
    }

    private func writeCheck(_ check: StoreCheck, into c: inout JSONCursor) {
        c.literal(",\"check\":{\"msgSize\":")
        c.decimal(Int64(check.msgSize))
        c.literal(check.success ? ",\"success\":true" : ",\"success\":false")
        if let failure = check.failure {
            c.literal(",\"code\":")
            c.string(failure.code)
            c.literal(",\"failure\":")
            c.string(failure.description)
        }
        c.byte(UInt8(ascii: "}"))
    }

    /// `HostAddress.description` written from the field's bytes: `a.b.c.d:port` or Java's
    /// uncompressed `[x:x:x:x:x:x:x:x]:port`; null when the field is out of bounds.
    private func writeHost(_ record: MessageRecordView, at offset: Int, length: Int, into c: inout JSONCursor) {
        guard let field = record.file.slice(at: record.position + offset, length: length) else {
            c.literal("null")
            return
        }
        let addressLength = length - 4
        let port: Int32 = field.readBigEndianUnchecked(at: addressLength)
        c.byte(UInt8(ascii: "\""))
        if addressLength == 4 {
            for i in 0..<4 {
                if i > 0 { c.byte(UInt8(ascii: ".")) }
                c.decimal(Int64(field[i]))
            }
        } else {
            c.byte(UInt8(ascii: "["))
            for i in stride(from: 0, to: addressLength, by: 2) {
                if i > 0 { c.byte(UInt8(ascii: ":")) }
                c.hexDigits(UInt16(field[i]) << 8 | UInt16(field[i + 1]))
            }
            c.byte(UInt8(ascii: "]"))
        }
        c.byte(UInt8(ascii: ":"))
        c.decimal(Int64(port))
        c.byte(UInt8(ascii: "\""))
    }

    /// The quoted lowercase hex SHA-256 of `bytes`, from a stack buffer.
    private func writeDigest(_ bytes: UnsafeRawBufferPointer, into c: inout JSONCursor) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: SHA256.digestByteCount) { digest in
            SHA256.digest(bytes, into: digest.baseAddress!)
            c.byte(UInt8(ascii: "\""))
            c.hex(UnsafeRawBufferPointer(digest))
            c.byte(UInt8(ascii: "\""))
        }
    }

    private func writeDecompressed(_ body: UnsafeRawBufferPointer, sysFlag: Int32, into c: inout JSONCursor) {
        c.literal(",\"decompressedBody\":{\"compressionTypeBits\":")
        c.decimal(Int64((sysFlag & 0x700) >> 8))
        switch BodyCompression.decompress(body, sysFlag: sysFlag) {
        case .success(let plain):
            c.literal(",\"len\":")
            c.decimal(Int64(plain.count))
            if includeDigests {
                c.literal(",\"sha256\":")
                plain.withUnsafeBytes { writeDigest($0, into: &c) }
            }
        case .failure(let error):
            c.literal(",\"error\":")
            c.string(error.description)
        }
        c.byte(UInt8(ascii: "}"))
    }
}
