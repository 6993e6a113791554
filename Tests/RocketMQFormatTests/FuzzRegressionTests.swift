// Inputs found by the libFuzzer targets in FuzzTesting/ that broke a property, kept as tests so
// the fix stays fixed. Each case names the target that found it and the property it broke.

import Testing
import RocketMQFormat

@Suite struct FuzzRegressionTests {
    // FuzzConfigJSON: `3e626` parses as +infinity (a literal beyond the double range); the
    // writer printed fastjson's `null` for it, so a rewritten config changed the value.
    @Test(arguments: ["3e626", "-3e626", "{\"a\":[1e400,-1e400]}"])
    func infiniteNumberSurvivesRewrite(_ text: String) throws {
        let value = try FastJSON.parse(text)
        for style in [JSONWriter.Style.compact, .fastjsonPretty] {
            #expect(try FastJSON.parse(JSONWriter.bytes(value, style: style)) == value)
        }
    }

    // FuzzRecord: a record whose STORETIMESTAMP/BORNTIMESTAMP is near Int64.min trapped in
    // Timestamp.floorDiv (`-a` overflows) while `dump` described it. Expected strings are
    // java.time.Instant.ofEpochMilli's (proleptic Gregorian, UTC), without Java's '+' sign.
    @Test(arguments: [
        (Int64.min, "-292275055-05-16T16:47:04.192Z"), (Int64.max, "292278994-08-17T07:12:55.807Z"),
        (Int64.min + 1, "-292275055-05-16T16:47:04.193Z"), (-1, "1969-12-31T23:59:59.999Z"),
        (0, "1970-01-01T00:00:00.000Z"), (-86_400_000_000, "1967-04-07T00:00:00.000Z"),
    ])
    func extremeTimestamps(_ milliseconds: Int64, _ expected: String) {
        #expect(Timestamp.iso8601(milliseconds: milliseconds) == expected)
    }

    @Test func recordWithExtremeTimestampsDescribes() throws {
        // The input as found (383 bytes): BORNTIMESTAMP is 0x8000_0000_0000_018b.
        let input = try #require(Hex.decode([
            "000000cedaa320a70000000000000001000000000000000000000000000000000000000000010000800000000000018b",
            "cfe56836c00002160000ea42000001a1fffbd7a7c000020a00002a9f000000000000b500000000000000000006546f70",
            "696342006dffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
            "ffffffffffffffffffffffff6bffffffffffffffff724a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a",
            "4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a",
            "4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a",
            "4a4a4a4a2d30313031383002554e49515f7d455901433030303032313632313444343645453944383334374277363033",
            "373033393602434c55535445520144656661756c74436c75737465720254414753017461672d776974682d64617368",
        ].joined()))
        input.withUnsafeBytes { raw in
            guard case .message(let record) = RecordDecoder.decode(raw, at: 0) else {
                Issue.record("not decoded as a message")
                return
            }
            #expect(record.isComplete)
            #expect(RecordDescriber().describe(record, fileFromOffset: 0).contains("born: -292275055-"))
        }
    }

    // CLI sweep of extreme option values: `--delay-levels 999999999999d` trapped on the
    // multiplication. Java's parseDelayLevel multiplies in a long and wraps; so do we.
    @Test func hugeDelayLevelWrapsLikeJava() throws {
        let table = try #require(DelayLevelTable(parsing: "1s 999999999999d 9223372036854775807s"))
        #expect(table.delays == [1000, 999_999_999_999 &* 86_400_000, Int64.max &* 1000])
    }
}
