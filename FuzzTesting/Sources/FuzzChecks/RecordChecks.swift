// Fuzz target FuzzRecord: one commitlog record at position 0 of the input (FORMAT.md §2).

import RocketMQFormat

extension FuzzChecks {
    public static func checkRecord(_ input: UnsafeRawBufferPointer) {
        let entry = RecordDecoder.decode(input, at: 0, options: .recovery)
        describe(entry, describer: describer(for: input), fileFromOffset: 0)
        // The lending form (the repairs' walks) sees a message exactly where `decode` does,
        // with the same verdict.
        var lent: StoreCheck?
        let found = RecordDecoder.withMessage(in: input, at: 0, options: .recovery) { lent = $0.check }
        if case .message(let decoded) = entry {
            require(found && lent == decoded.check, "withMessage lends a different record than decode gives")
        } else {
            require(!found, "withMessage lends a record where decode finds none")
        }
        guard case .message(let view) = entry else { return }
        // Skipping the CRC (the dispatcher's check) only ever accepts more; refusing V2
        // changes nothing for a V1 record.
        if case .message(let dispatch) = RecordDecoder.decode(input, at: 0, options: .dispatch) {
            require(!view.check.success || dispatch.check.success, "record accepted with CRC check but not without")
        } else {
            violation("dispatch options decode a different entry kind")
        }
        if view.version == .v1,
           case .message(let v1Only) = RecordDecoder.decode(input, at: 0, options: RecordCheckOptions(acceptVersion2: false)) {
            require(v1Only.check == view.check, "refusing V2 changed the verdict on a V1 record")
        }
        exerciseAccessors(view)
        checkRoundTrip(view)
    }

    /// A describer whose body mode comes from the input, so every mode gets exercised. Digests
    /// (SHA-256 of the body) are the slowest part under ASan: only one input length in eight.
    static func describer(for input: UnsafeRawBufferPointer) -> RecordDescriber {
        let modes = RecordDescriber.BodyMode.allCases
        return RecordDescriber(bodyMode: modes[input.count % modes.count], includeDigests: input.count % 8 == 0)
    }

    /// Everything `dump` and `verify` read off a record.
    static func exerciseAccessors(_ view: MessageRecordView) {
        _ = view.bytes.count
        _ = view.topic
        _ = view.properties
        _ = view.propertiesString
        _ = view.keys
        _ = view.uniqueKey
        _ = view.indexKeys
        _ = view.isScheduleTopic
        _ = view.transactionType
        _ = view.bornHost?.description
        _ = view.storeHost?.description
        _ = view.offsetMessageId
        _ = view.tagsCode()
        _ = view.expectedPhysicalOffset(fileFromOffset: Int64.max)
        if view.flags.contains(.compressed) {
            _ = BodyCompression.decompress(view.body, sysFlag: view.sysFlag, maxOutput: 1 << 20)
        }
    }

    /// A record RocketMQ accepts copies into a `MessageRecord`, which encodes back to the same
    /// bytes and decodes to an equal value.
    static func checkRoundTrip(_ view: MessageRecordView) {
        guard view.isComplete, view.check.success else { return }
        guard let owned = MessageRecord(view) else { violation("accepted record cannot be copied") }
        let encoded: [UInt8]
        do throws(FormatError) {
            encoded = try owned.encode()
        } catch {
            violation("accepted record does not re-encode: \(error)")
        }
        // A negative BODYLENGTH or PROPERTIESLENGTH passes Java's check (it reads them as
        // "none"), but the owned value keeps only the (empty) bytes, so it encodes 0 there.
        if view.bodyLength >= 0 && view.propertiesLength >= 0 {
            require(sameBytes(encoded, view.bytes), "re-encoded record differs from the accepted bytes")
        }
        encoded.withUnsafeBytes { raw in
            guard case .message(let again) = RecordDecoder.decode(raw, at: 0), again.check.success,
                  let copy = MessageRecord(again) else {
                violation("re-encoded record is not accepted")
            }
            require(copy == owned, "decode(encode(record)) differs from record")
        }
    }
}
