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
}
