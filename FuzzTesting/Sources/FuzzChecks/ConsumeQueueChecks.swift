// Fuzz target FuzzConsumeQueue: the input is one consume queue file (20-byte units, §7.1).

import RocketMQFormat

extension FuzzChecks {
    public static func checkConsumeQueue(_ input: UnsafeRawBufferPointer) {
        var position = 0
        var writer = ByteWriter(capacity: input.count)
        while position < input.count {
            let unit: ConsumeQueueUnit
            do throws(FormatError) {
                unit = try ConsumeQueueUnit(decoding: input, at: position)
            } catch {
                // Only a partial unit at the end may fail.
                require(input.count - position < ConsumeQueueUnit.size, "whole unit failed to decode: \(error)")
                break
            }
            _ = unit.isValid
            _ = unit.isPreBlank
            _ = unit.isAllZero
            _ = unit.endOffset
            // The description is one fixed interpolation (no branch on the values): a sample.
            if position < 4 * ConsumeQueueUnit.size || position + 2 * ConsumeQueueUnit.size > input.count {
                _ = unit.description
            }
            if ConsumeQueueUnit.isExtAddress(unit.tagsCode) {
                let offset = ConsumeQueueUnit.extOffset(ofAddress: unit.tagsCode)
                require(ConsumeQueueUnit.extAddress(ofOffset: offset) == unit.tagsCode, "ext address round trip")
            }
            unit.encode(to: &writer)
            checkLocation(queueOffset: unit.physicalOffset, fileSize: Int(unit.size))
            checkLocation(queueOffset: unit.tagsCode, fileSize: ConsumeQueueUnit.size * Int(UInt16(truncatingIfNeeded: unit.size)))
            position += ConsumeQueueUnit.size
        }
        // Units re-encode to the bytes they were decoded from.
        let whole = input.count - input.count % ConsumeQueueUnit.size
        require(sameBytes(writer.bytes, UnsafeRawBufferPointer(rebasing: input[0..<whole])), "units re-encode differently")
    }

    /// The queue offset ↔ (file, position) mapping is exact wherever it is defined.
    static func checkLocation(queueOffset: Int64, fileSize: Int) {
        guard let (fileStart, position) = ConsumeQueueUnit.location(ofQueueOffset: queueOffset, fileSize: fileSize) else {
            return
        }
        require(position >= 0 && position < fileSize && position % ConsumeQueueUnit.size == 0, "unit position in file")
        require(fileStart % Int64(fileSize) == 0, "file start is a multiple of the file size")
        require(ConsumeQueueUnit.queueOffset(fileStart: fileStart, position: position) == queueOffset, "location round trip")
    }
}
