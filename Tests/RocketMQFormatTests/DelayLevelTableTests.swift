// DelayLevelTable(parsing:) follows ScheduleMessageService.parseDelayLevel: split(" "), each
// token `<Long.parseLong(prefix)><unit in s/m/h/d>`; any bad token makes the text unusable.

import RocketMQFormat
import Testing

@Suite struct DelayLevelTableTests {
    @Test func defaultLevels() throws {
        let table = try #require(DelayLevelTable(parsing: DelayLevelTable.defaultLevels))
        #expect(table.maxLevel == 18)
        #expect(table.delays.prefix(5) == [1000, 5000, 10_000, 30_000, 60_000])
        #expect(table.delays.last == Int64(2 * 3_600_000))
    }

    @Test(arguments: [
        ("1s", [Int64(1000)]), ("2m 1h", [120_000, 3_600_000]), ("1d", [86_400_000]),
        ("+5s", [5000]), ("-1s", [-1000]), ("007m", [420_000]),
    ])
    func goodTexts(_ text: String, _ delays: [Int64]) {
        #expect(DelayLevelTable(parsing: text)?.delays == delays)
    }

    @Test(arguments: [
        "", " ", "1s ", " 1s", "1s  5s", "s", "1", "5x", "1S", "1.5s", "1 s", "١s", "5s\u{301}",
        "1s \u{301}2s", "\u{600}5s", "99999999999999999999s", "1s\t2s",
    ])
    func badTexts(_ text: String) {
        #expect(DelayLevelTable(parsing: text) == nil)
    }
}
