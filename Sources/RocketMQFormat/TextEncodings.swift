// Base64 and timestamp text, without Foundation (this module stays pure).

public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    public static func encode(_ bytes: UnsafeRawBufferPointer) -> String {
        let outputLength = (bytes.count + 2) / 3 * 4
        return String(unsafeUninitializedCapacity: outputLength) { out in
            var i = 0, o = 0
            while i + 3 <= bytes.count {
                let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
                out[o] = alphabet[Int(v >> 18 & 63)]; out[o + 1] = alphabet[Int(v >> 12 & 63)]
                out[o + 2] = alphabet[Int(v >> 6 & 63)]; out[o + 3] = alphabet[Int(v & 63)]
                i += 3; o += 4
            }
            let rest = bytes.count - i
            if rest > 0 {
                let v = UInt32(bytes[i]) << 16 | (rest == 2 ? UInt32(bytes[i + 1]) << 8 : 0)
                out[o] = alphabet[Int(v >> 18 & 63)]; out[o + 1] = alphabet[Int(v >> 12 & 63)]
                out[o + 2] = rest == 2 ? alphabet[Int(v >> 6 & 63)] : UInt8(ascii: "=")
                out[o + 3] = UInt8(ascii: "=")
                o += 4
            }
            return o
        }
    }

    public static func decode(_ text: String) -> [UInt8]? {
        var lookup = [Int16](repeating: -1, count: 256)
        for (i, c) in alphabet.enumerated() { lookup[Int(c)] = Int16(i) }
        var out: [UInt8] = []
        var buffer: UInt32 = 0, bits = 0, padding = 0
        for c in text.utf8 {
            if c == UInt8(ascii: "=") { padding += 1; continue }
            if c == 0x0A || c == 0x0D { continue }
            guard padding == 0, lookup[Int(c)] >= 0 else { return nil }
            buffer = buffer << 6 | UInt32(lookup[Int(c)])
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
            }
        }
        return padding <= 2 ? out : nil
    }
}

public enum Timestamp {
    /// `2026-11-21T21:20:57.255Z` for milliseconds since the epoch (UTC).
    public static func iso8601(milliseconds: Int64) -> String {
        // Via quotient and remainder: `milliseconds - days * 86_400_000` overflows near Int64.min.
        let (days, msOfDay) = floorDivMod(milliseconds, 86_400_000)
        let (year, month, day) = civil(fromDays: days)
        func pad(_ v: Int64, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(msOfDay / 3_600_000, 2)):"
            + "\(pad(msOfDay / 60_000 % 60, 2)):\(pad(msOfDay / 1000 % 60, 2)).\(pad(msOfDay % 1000, 3))Z"
    }

    /// Parses milliseconds, or an ISO 8601 UTC time `YYYY-MM-DDTHH:MM[:SS[.mmm]][Z]` / a date.
    public static func parse(_ text: String) -> Int64? {
        if let ms = Int64(text) { return ms }
        let utf8 = Array(text.utf8)
        func number(_ from: Int, _ count: Int) -> Int64? {
            guard from + count <= utf8.count else { return nil }
            var v: Int64 = 0
            for c in utf8[from..<(from + count)] {
                guard c >= 0x30 && c <= 0x39 else { return nil }
                v = v * 10 + Int64(c - 0x30)
            }
            return v
        }
        guard let year = number(0, 4), utf8.count >= 10, utf8[4] == 0x2D, let month = number(5, 2), utf8[7] == 0x2D,
              let day = number(8, 2), (1...12).contains(month), (1...31).contains(day) else { return nil }
        var ms = days(fromCivil: year, month, day) * 86_400_000
        var i = 10
        if i < utf8.count && (utf8[i] == UInt8(ascii: "T") || utf8[i] == UInt8(ascii: " ")) {
            guard let h = number(i + 1, 2), i + 3 < utf8.count, utf8[i + 3] == 0x3A, let m = number(i + 4, 2) else { return nil }
            ms += h * 3_600_000 + m * 60_000
            i += 6
            if i < utf8.count && utf8[i] == 0x3A {
                guard let s = number(i + 1, 2) else { return nil }
                ms += s * 1000
                i += 3
                if i < utf8.count && utf8[i] == 0x2E {
                    guard let f = number(i + 1, 3) else { return nil }
                    ms += f
                    i += 4
                }
            }
        }
        if i < utf8.count && utf8[i] == UInt8(ascii: "Z") { i += 1 }
        return i == utf8.count ? ms : nil
    }

    /// Floor division for b > 0, for every a (a timestamp field may hold any 64-bit value;
    /// `-a` alone overflows for Int64.min).
    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { floorDivMod(a, b).quotient }

    static func floorDivMod(_ a: Int64, _ b: Int64) -> (quotient: Int64, remainder: Int64) {
        let (q, r) = a.quotientAndRemainder(dividingBy: b)
        return r < 0 ? (q - 1, r + b) : (q, r)
    }

    // Howard Hinnant's civil-calendar algorithms.
    static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    static func days(fromCivil y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = floorDiv(y, 400)
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
