// What every fuzz target checks, as plain functions of the input bytes.
//
// Each `check…` decodes arbitrary bytes with the pure RocketMQFormat module, runs everything a
// tool would run on the result (describe, JSON output, lookups), and asserts the round-trip
// properties the format promises. A violated property calls `violation`, which traps: libFuzzer
// reports a trap like any other crash and saves the input. Reads past the input are caught by
// AddressSanitizer (libFuzzer hands each input over in an allocation of exactly its size).

import RocketMQFormat
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum FuzzChecks {
    /// Stops the process with a message naming the broken property.
    static func violation(_ property: String, file: StaticString = #fileID, line: UInt = #line) -> Never {
        fatalError("fuzz property violated: \(property)", file: file, line: line)
    }

    static func require(_ condition: Bool, _ property: @autoclosure () -> String,
                        file: StaticString = #fileID, line: UInt = #line) {
        if !condition { violation(property(), file: file, line: line) }
    }

    /// Big-endian integer at `offset`, 0 when the input is too short (for deriving parameters).
    static func parameter<T: FixedWidthInteger>(_ input: UnsafeRawBufferPointer, at offset: Int, as: T.Type = T.self) -> T {
        input.readBigEndian(T.self, at: offset) ?? 0
    }

    /// Byte equality by `memcmp`: the generic `elementsEqual` costs a call per byte, which
    /// dominated the round-trip checks of large records.
    static func sameBytes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        guard let x = a.baseAddress, let y = b.baseAddress, a.count > 0 else { return true }
        return memcmp(x, y, a.count) == 0
    }

    static func sameBytes(_ a: [UInt8], _ b: UnsafeRawBufferPointer) -> Bool {
        a.withUnsafeBytes { sameBytes($0, b) }
    }

    /// Every line the JSON writers produce must be one JSON object: every line passes the
    /// strict RFC 8259 check (`StrictJSON`, no allocation); one line in eight (chosen by its
    /// length, so a given input always gets the same treatment) is also parsed by FastJSON,
    /// the project's reader, which costs as much as decoding the record.
    static func requireJSONObject(_ bytes: [UInt8], _ what: String) {
        let strict = bytes.withUnsafeBytes { StrictJSON.isObject($0) }
        require(strict, "\(what): JSON line is not a strict JSON object: \(String(decoding: bytes, as: UTF8.self))")
        guard bytes.count % 8 == 0 else { return }
        do throws(FormatError) {
            let value = try FastJSON.parse(bytes)
            require(value.members != nil, "\(what): JSON line is not an object")
        } catch {
            violation("\(what): JSON line does not parse: \(error)")
        }
    }
}
