// Checks one commitlog file from byte 0, record by record (FORMAT.md §2, §11.3, §18 items 3–8).
//
// Every record gets RocketMQ's own check (RecordDecoder: magic, lengths, body CRC, size
// formula, DELAY), plus PHYSICALOFFSET = file start + position and the unused SYSFLAG bits.
// Unlike recovery it does not stop at damage: after a failing record it resumes at the next
// position that holds a record whose PHYSICALOFFSET field names its own position, so every
// damaged record is reported and the records behind it are still checked.

import RocketMQFormat
import RocketMQStore

struct CommitLogFileScanner: Sendable {
    var options: RecordCheckOptions
    /// Only records past this offset are looked at for UNIQ_KEY/KEYS (index completeness): the
    /// index already covers the log up to its endPhyOffset, and reading the properties of every
    /// record costs a tenth of the pass. Int64.min: every record; Int64.max: none.
    var keyedAfter: Int64 = .min
    /// Index files whose expected entries the pass adds up (nil: the index is not checked).
    var coverage: IndexCoverage?
    /// Reads the record a COMMIT/ROLLBACK links to (§18 item 11; nil: links are not checked).
    var transactionLinks: TransactionLinks?

    /// A mapped file split into chunks that can be scanned in parallel.
    struct PreparedFile: @unchecked Sendable {  // the region is immutable and read-only
        var file: SegmentFile
        var region: MappedRegion?
        var ioError: String?
        /// Start of the trailing hole: bytes from here on read as zero.
        var zeroFrom = 0
        /// Where each chunk's scan starts (0, then record starts found after each boundary).
        var starts: [Int] = [0]
    }

    /// A chunk's scan and where it stopped (nil: at the end of the data or a blank marker).
    struct ChunkScan: Sendable {
        var scan: CommitLogFileScan
        var stoppedAt: Int?
    }

    /// Maps `file` and picks chunk starts about `chunkSize` apart. A chunk starts at the first
    /// position at or after its boundary that holds a record whose PHYSICALOFFSET names that
    /// position; `finish` checks that each chunk's walk ends exactly where the next begins, so
    /// the result is the serial walk's (and falls back to it otherwise).
    func prepare(_ file: SegmentFile, chunkSize: Int = .max) -> PreparedFile {
        var prepared = PreparedFile(file: file)
        do {
            let region = try MappedRegion(path: file.path)
            prepared.region = region
            prepared.zeroFrom = region.prefetchDataPart()
            let limit = min(region.count, prepared.zeroFrom)
            guard chunkSize < limit else { return prepared }
            region.withBytes { bytes in
                var boundary = chunkSize
                while boundary < limit {
                    guard let start = Self.findRecord(in: bytes, after: boundary - 1, fileStart: file.fromOffset) else { break }
                    if start > prepared.starts.last! { prepared.starts.append(start) }
                    boundary = max(start + 1, boundary + chunkSize)
                }
            }
        } catch {
            prepared.ioError = "\(error)"
        }
        return prepared
    }

    /// Scans chunk `index` of a prepared file.
    func scan(_ prepared: PreparedFile, chunk index: Int) -> ChunkScan {
        var result = CommitLogFileScan(file: prepared.file)
        guard let region = prepared.region else {
            result.ioError = prepared.ioError
            return ChunkScan(scan: result, stoppedAt: nil)
        }
        let stopAt = index + 1 < prepared.starts.count ? prepared.starts[index + 1] : Int.max
        var queues = QueueRunTable()
        let stopped = region.withBytes { bytes in
            scan(bytes, from: prepared.starts[index], stopAt: stopAt, zeroFrom: prepared.zeroFrom, queues: &queues, into: &result)
        }
        result.queueRuns = queues.dictionary
        return ChunkScan(scan: result, stoppedAt: stopped)
    }

    /// Joins the chunks' scans in order; when a chunk did not end where the next one starts
    /// (damage or a false start), scans the file again in one piece.
    func finish(_ prepared: PreparedFile, _ chunks: [ChunkScan]) -> CommitLogFileScan {
        let linked = chunks.indices.dropLast().allSatisfy { chunks[$0].stoppedAt == prepared.starts[$0 + 1] }
        guard linked, chunks.count > 1 else {
            if chunks.count == 1 { return chunks[0].scan }
            var serial = prepared
            serial.starts = [0]
            return scan(serial, chunk: 0).scan
        }
        var result = chunks[0].scan
        var queues = result.queueRuns
        for chunk in chunks.dropFirst() {
            let part = chunk.scan
            if result.records > 0, part.records > 0, part.firstStoreTimestamp < result.lastStoreTimestamp,
               let first = part.firstValidStart {
                result.findings.append(RecordInvariants.storeTimeBackwards(
                    file: prepared.file, physical: first, storeTimestamp: part.firstStoreTimestamp, previous: result.lastStoreTimestamp))
            }
            result.findings += part.findings
            result.failures += part.failures
            result.records += part.records
            if result.firstValidStart == nil { result.firstValidStart = part.firstValidStart }
            if part.lastValidStart != nil {
                result.lastValidStart = part.lastValidStart
                result.lastValidEnd = part.lastValidEnd
            }
            result.blankPosition = part.blankPosition
            result.dataEnd = part.dataEnd
            if let keyed = part.lastKeyedOffset { result.lastKeyedOffset = max(result.lastKeyedOffset ?? keyed, keyed) }
            result.addIndexDigests(part.indexDigests)
            result.addUnindexed(part.unindexed)
            result.addOddUniqueKeys(part.oddUniqueKeys)
            if part.records > 0 { result.lastStoreTimestamp = part.lastStoreTimestamp }
            CommitLogVerifier.merge(&queues, part.queueRuns, file: prepared.file, into: &result.findings)
        }
        result.queueRuns = queues
        return result
    }

    /// Scans the whole file on this thread.
    func scan(_ file: SegmentFile) -> CommitLogFileScan {
        let prepared = prepare(file)
        return scan(prepared, chunk: 0).scan
    }

    /// Walks records from `position` until the data ends (returns nil) or the walk reaches
    /// `stopAt` (returns the position reached).
    func scan(_ bytes: UnsafeRawBufferPointer, from startPosition: Int, stopAt: Int, zeroFrom: Int, queues: inout QueueRunTable,
              into result: inout CommitLogFileScan) -> Int? {
        let file = result.file
        let start = file.fromOffset
        var position = startPosition
        var keyHashes: [Int32] = []
        keyHashes.reserveCapacity(8)
        var readAhead = ReadAhead(bytes, from: startPosition, end: zeroFrom)
        while position < stopAt {
            readAhead.advance(to: position)
            // The end of the data: zeros up to the trailing hole (what decode would find by
            // reading every remaining byte).
            if position + 8 <= bytes.count, bytes.readBigEndianUnchecked(Int64.self, at: position) == 0,
               bytes.isAllZero(from: position, to: zeroFrom) {
                result.dataEnd = position
                return nil
            }
            switch RecordDecoder.decode(bytes, at: position, options: options) {
            case .blank(let blank):
                result.blankPosition = position
                result.dataEnd = position
                if Int(blank.totalSize) != blank.bytesToFileEnd {
                    result.findings.append(Finding(
                        .info, "commitlog.blank-size", file: file.relativePath, position: Int64(position),
                        physicalOffset: start + Int64(position), expected: String(blank.bytesToFileEnd),
                        found: String(blank.totalSize),
                        "end-of-file blank marker's TOTALSIZE differs from the bytes left in the file (RocketMQ ignores it)"))
                }
                return nil
            case .end(let end):
                if end.restIsZero {
                    result.dataEnd = position
                    return nil
                }
                let resume = Self.findRecord(in: bytes, after: position, fileStart: start)
                let code: String
                switch end.reason {
                case .illegalMagic: code = "record.bad-magic"
                case .fewerThan8Bytes, .zeroFilled: code = "commitlog.garbage-after-end"
                }
                let zeroHole = bytes.readBigEndian(Int64.self, at: position) == 0
                result.failures.append(PendingFailure(
                    position: position, physicalOffset: start + Int64(position),
                    code: zeroHole ? "commitlog.zeroed-range" : code,
                    message: zeroHole ? "zero bytes where a record should start, with data after them"
                        : "no record starts here: \(end.description)",
                    expected: zeroHole ? nil : "a record or blank magic",
                    found: end.totalSizeField.map { _ in
                        magicHex(bytes.readBigEndian(Int32.self, at: position + 4) ?? 0) },
                    resumesAt: resume))
                guard let resume else {
                    result.dataEnd = position
                    return nil
                }
                position = resume
            case .message(let record):
                let physical = start + Int64(position)
                if let failure = Self.failure(of: record, physical: physical) {
                    var next: Int?
                    let end = position + Int(record.totalSize)
                    if record.isComplete, record.totalSize >= RecordDecoder.minimumRecordSize, end <= bytes.count,
                       Self.looksLikeBoundary(bytes, at: end, fileStart: start) {
                        next = end
                    } else {
                        next = Self.findRecord(in: bytes, after: position, fileStart: start)
                    }
                    var pending = failure
                    pending.position = position
                    pending.resumesAt = next
                    result.failures.append(pending)
                    guard let next else {
                        result.dataEnd = position
                        return nil
                    }
                    position = next
                    continue
                }
                account(record, physical: physical, queues: &queues, keyHashes: &keyHashes, into: &result)
                position += Int(record.totalSize)
            }
        }
        return position
    }

    /// Why a decoded record fails, or nil when it passes every record check.
    static func failure(of record: MessageRecordView, physical: Int64) -> PendingFailure? {
        if !record.check.success {
            let failure = record.check.failure
            var expected: String?, found: String?
            switch failure {
            case .bodyCRCMismatch(let stored, let computed)?:
                expected = String(computed); found = String(stored)
            case .sizeMismatch(let totalSize, let computed)?:
                expected = String(computed); found = String(totalSize)
            default: break
            }
            return PendingFailure(
                position: 0, physicalOffset: physical, code: failure?.code ?? "record.check-failed",
                message: failure.map { "\($0)" } ?? "record fails the store's check", expected: expected, found: found)
        }
        if record.physicalOffset != physical {
            return PendingFailure(
                position: 0, physicalOffset: physical, code: "record.physical-offset-mismatch",
                message: "PHYSICALOFFSET field differs from the record's position", expected: String(physical),
                found: String(record.physicalOffset))
        }
        if record.sysFlag & MessageSysFlag.unusedMask != 0 {
            return PendingFailure(
                position: 0, physicalOffset: physical, code: "record.bad-sysflag",
                message: "SYSFLAG has bits set above bit 10", expected: "bits >= 11 clear",
                found: "0x" + String(UInt32(bitPattern: record.sysFlag), radix: 16))
        }
        if record.version == .v1 && record.topicLength <= 0 {
            return PendingFailure(
                position: 0, physicalOffset: physical, code: "record.bad-topic-length",
                message: "V1 topic length must be 1...127", expected: "1...127", found: String(record.topicLength))
        }
        // A null or empty body has BODYCRC 0, and the broker always recomputes it (§4); RocketMQ
        // checks the CRC only for a body of length > 0, so a changed BODYCRC of an empty body is
        // damage only this check sees.
        if record.bodyLength <= 0 && record.bodyCRC != 0 {
            return PendingFailure(
                position: 0, physicalOffset: physical, code: "record.crc-mismatch",
                message: "BODYCRC of a record without body bytes is not 0, the CRC of no bytes (RocketMQ checks it only for a body)",
                expected: "0", found: String(record.bodyCRC))
        }
        // [5.x] property CRC: covers the header fields the body CRC does not (§4).
        if record.propertiesLength >= Int16(PropertyCRC.reservedLength) {
            let properties = record.propertiesBytes
            if let stored = PropertyCRC.storedValue(in: properties) {
                let computed = PropertyCRC.computed(for: record.bytes)
                if stored != computed {
                    return PendingFailure(
                        position: 0, physicalOffset: physical, code: "record.property-crc-mismatch",
                        message: "[5.x] property CRC (__CRC32#) does not match the record bytes before it",
                        expected: String(computed), found: String(stored))
                }
            } else if PropertyCRC.hasMalformedEntry(in: properties) {
                return PendingFailure(
                    position: 0, physicalOffset: physical, code: "record.property-crc-malformed",
                    message: "[5.x] __CRC32# property is not 10 digits between 0x01 and 0x02",
                    expected: "__CRC32# 0x01 dddddddddd 0x02", found: nil)
            }
        }
        return nil
    }

    /// Bookkeeping for a valid record: queue runs, index completeness, timestamps.
    func account(_ record: MessageRecordView, physical: Int64, queues: inout QueueRunTable, keyHashes: inout [Int32],
                 into result: inout CommitLogFileScan) {
        result.records += 1
        if result.firstValidStart == nil { result.firstValidStart = physical }
        result.lastValidStart = physical
        result.lastValidEnd = physical + Int64(record.totalSize)
        if result.records == 1 {
            result.firstStoreTimestamp = record.storeTimestamp
        } else if record.storeTimestamp < result.lastStoreTimestamp {
            result.findings.append(RecordInvariants.storeTimeBackwards(
                file: result.file, physical: physical, storeTimestamp: record.storeTimestamp, previous: result.lastStoreTimestamp))
        }
        result.lastStoreTimestamp = record.storeTimestamp
        let type = record.transactionType
        let properties = DispatchProperties(record)
        if let finding = RecordInvariants.check(record, properties: properties, file: result.file, physical: physical,
                                                delayLevels: options.delayLevels) {
            result.findings.append(finding)
        }
        if let key = properties.uniqueKey, !UniqueKeyFormat.isValid(key) {
            result.addOddUniqueKeys(UniqueKeyFormat.Odd(physicalOffset: physical, value: String(decoding: key, as: UTF8.self), count: 1))
        }
        if type == .commit || type == .rollback, let links = transactionLinks,
           let finding = links.check(record, uniqueKey: properties.uniqueKey, file: result.file, physical: physical) {
            result.findings.append(finding)
        }
        if physical > keyedAfter, type != .rollback, properties.hasIndexKey {
            result.lastKeyedOffset = physical
        }
        if let coverage, type != .rollback, properties.hasIndexKey, coverage.isInGap(physical) {
            result.addUnindexed((physical, 1))
        }
        if let coverage, type != .rollback, let range = coverage.range(strictlyContaining: physical) {
            keyHashes.removeAll(keepingCapacity: true)
            IndexVerifier.keyHashes(topic: record.topicBytes, uniqueKey: properties.uniqueKey, keys: properties.keys,
                                    into: &keyHashes)
            if !keyHashes.isEmpty {
                if result.indexDigests.isEmpty {
                    result.indexDigests = Array(repeating: IndexDigest(), count: coverage.fileCount)
                }
                let timeDiff = IndexCoverage.timeDiff(storeTimestamp: record.storeTimestamp, beginTimestamp: range.beginTimestamp)
                for hash in keyHashes {
                    result.indexDigests[range.file].sum &+= UnitDigest.entry(physicalOffset: physical, keyHash: hash, timeDiff: timeDiff)
                }
                result.indexDigests[range.file].count += keyHashes.count
            }
        }
        guard type.isDispatchedToConsumeQueue else {
            if record.queueOffset != 0 {
                result.findings.append(Finding(
                    .info, "record.prepared-queue-offset", file: result.file.relativePath,
                    position: Int64(record.position), physicalOffset: physical, topic: record.topic,
                    queueId: record.queueId, expected: "0", found: String(record.queueOffset),
                    "\(type.name) record has a non-zero QUEUEOFFSET"))
            }
            return
        }
        var step: Int64 = 1
        let innerBatch = record.flags.contains(.innerBatch)
        if innerBatch, let num = record.property("INNER_NUM").flatMap({ Int64($0) }), num > 0 {
            step = num
        }
        let tagsCode = record.tagsCode(tags: properties.tags, delay: properties.delay, delayLevels: options.delayLevels)
        let digest = UnitDigest.unit(queueOffset: record.queueOffset, physicalOffset: physical, size: record.totalSize,
                                     tagsCode: tagsCode)
        addUnit(topic: record.topicBytes, queueId: record.queueId, queueOffset: record.queueOffset, step: step,
                physical: physical, digest: digest, digestable: !innerBatch, position: record.position,
                queues: &queues, into: &result)
        if let names = properties.multiDispatch {
            addLMQUnits(names: names, offsets: properties.multiQueueOffset, record: record, physical: physical,
                        tagsCode: tagsCode, queues: &queues, into: &result)
        }
    }

    /// True when `position` is the end of the file, all zeros to the end, or starts with a
    /// message or blank magic.
    static func looksLikeBoundary(_ bytes: UnsafeRawBufferPointer, at position: Int, fileStart: Int64) -> Bool {
        if position >= bytes.count { return true }
        guard let magic = bytes.readBigEndian(Int32.self, at: position + 4) else { return bytes.isAllZero(from: position) }
        if magic == MessageVersion.blankMagic { return true }
        if MessageVersion(magic: magic) != nil {
            return bytes.readBigEndian(Int64.self, at: position + 28) == fileStart + Int64(position)
        }
        return bytes.isAllZero(from: position)
    }

    /// The next position after `position` holding a message whose PHYSICALOFFSET field names
    /// that very position (or a blank marker that ends exactly at the end of the file).
    static func findRecord(in bytes: UnsafeRawBufferPointer, after position: Int, fileStart: Int64) -> Int? {
        var candidate = position + 1
        let limit = bytes.count - 36
        while candidate <= bytes.count - 8 {
            let magic: Int32 = bytes.readBigEndianUnchecked(at: candidate + 4)
            if magic == MessageVersion.blankMagic {
                let size: Int32 = bytes.readBigEndianUnchecked(at: candidate)
                if Int(size) == bytes.count - candidate { return candidate }
            } else if candidate <= limit, MessageVersion(magic: magic) != nil,
                      bytes.readBigEndianUnchecked(Int64.self, at: candidate + 28) == fileStart + Int64(candidate) {
                return candidate
            }
            candidate += 1
        }
        return nil
    }
}
