// JSONCursor: the properties string and its map in one pass (the dump's `propertiesRaw` and
// `properties`), so each key and value is escaped once.

extension JSONCursor {
    /// The properties string as a JSON string, and its map: for the common string (printable
    /// ASCII without `"` or `\`, pairs split by 0x01/0x02) one pass writes the escaped text and
    /// collects the distinct pairs, sorted, with where each key and value landed in the line,
    /// so the `properties` object copies them instead of escaping them again. Returns the pair
    /// count, or nil having written nothing when the string needs the general path.
    mutating func propertiesRaw(
        _ properties: UnsafeRawBufferPointer, pairs storage: UnsafeMutablePointer<PropertyPairs.Pair>
    ) -> Int? {
        let count = properties.count
        guard count > 0, let source = properties.baseAddress else { return nil }
        reserve(6 &* count &+ 2)  // every byte a separator at worst; no growth below
        let base = buffer.base
        let opening = position
        var out = position
        out.pointee = UInt8(ascii: "\"")
        out += 1
        var pairCount = 0
        var segmentStart = 0, segmentJSON = out - base
        var separator = -1, separatorJSON = 0
        func endSegment(_ end: Int, _ endJSON: Int) {
            // forEachPair's rule: the first 0x01 leaves a non-empty key and a non-empty value.
            guard separator > segmentStart && separator < end - 1 else { return }
            let pair = PropertyPairs.Pair(
                key: UnsafeRawBufferPointer(rebasing: properties[segmentStart..<separator]),
                value: UnsafeRawBufferPointer(rebasing: properties[(separator + 1)..<end]),
                keyJSON: segmentJSON..<separatorJSON, valueJSON: (separatorJSON + 6)..<endJSON)
            PropertyPairs.add(pair, to: storage, count: &pairCount)
        }
        var i = 0
        while i < count {
            if count &- i >= 8 {
                let word = source.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                if !Self.needsEscapeOrCheck(word, nonASCIIChecked: false) {
                    UnsafeMutableRawPointer(out).storeBytes(of: word, as: UInt64.self)
                    out += 8
                    i &+= 8
                    continue
                }
            }
            let byte = source.load(fromByteOffset: i, as: UInt8.self)
            if byte >= 0x20 {
                guard byte < 0x80 && byte != 0x22 && byte != 0x5C else {
                    position = opening
                    return nil
                }
                out.pointee = byte
                out += 1
            } else if byte == MessageProperties.nameValueSeparator || byte == MessageProperties.propertySeparator {
                if byte == MessageProperties.propertySeparator {
                    endSegment(i, out - base)
                } else if separator < 0 {
                    separator = i
                    separatorJSON = out - base
                }
                Self.copySmall(UnsafeRawPointer(("\\u000" as StaticString).utf8Start), 5, to: UnsafeMutableRawPointer(out))
                out[5] = 0x30 &+ byte
                out += 6
                if byte == MessageProperties.propertySeparator {
                    segmentStart = i + 1
                    segmentJSON = out - base
                    separator = -1
                }
            } else {
                position = opening
                return nil
            }
            i &+= 1
        }
        endSegment(count, out - base)
        out.pointee = UInt8(ascii: "\"")
        position = out + 1
        PropertyPairs.sort(storage, count: pairCount)
        return pairCount
    }
}
