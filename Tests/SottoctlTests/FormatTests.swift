import Testing

@testable import sottoctl

@Suite struct FormatTests {
    @Test(arguments: [
        (0.0, "0s"), (7.9, "7s"), (65, "1m05s"), (3_600, "1h00m"), (7_380, "2h03m"), (273_600, "3d04h"),
        (-.infinity, "0s"), (.nan, "0s"),
    ])
    func durations(seconds: Double, expected: String) {
        #expect(Format.duration(seconds) == expected)
    }

    @Test(arguments: [(0, "0"), (999, "999"), (1_000, "1,000"), (123_456, "123,456"), (-1_234_567, "-1,234,567")])
    func counts(value: Int, expected: String) {
        #expect(Format.count(value) == expected)
    }

    @Test func percentsAndMillisecondsSayDashWhenUnknown() {
        #expect(Format.percent(0.0125) == "1.25%")
        #expect(Format.percent(nil) == "-")
        #expect(Format.percent(.nan) == "-")
        #expect(Format.milliseconds(2.34) == "2.3 ms")
        #expect(Format.milliseconds(nil) == "-")
    }

    @Test func shortenKeepsTheWidthAndMarksTheCut() {
        #expect(Format.shorten("abcdef", to: 6) == "abcdef")
        #expect(Format.shorten("abcdefg", to: 6) == "abcde…")
        #expect(Format.shorten("abcdefg", to: 6).count == 6)
        #expect(Format.shorten("abc", to: 1) == "a")
        #expect(Format.shorten("abc", to: 0) == "")
    }

    @Test func dropsListTheLargestReasonsFirst() {
        let drops: [String: UInt64] = ["replay": 2, "authFailed": 10, "tooShort": 2, "unknownSource": 0]
        #expect(Format.drops(drops) == "14 (authFailed 10, replay 2, tooShort 2)")
        #expect(Format.drops(drops, limit: 1) == "14 (authFailed 10, …)")
        #expect(Format.drops([:]) == "0")
    }

    @Test func tableAlignsColumnsAndTrimsTrailingSpaces() {
        let table = TextTable(
            [.init("ID", .right), .init("NAME"), .init("PKTS", .right), .init("NOTE")],
            rows: [["1", "alice", "3,000", ""], ["12", "bob", "7", "late"]])
        #expect(
            table.lines() == [
                "ID  NAME    PKTS  NOTE",
                " 1  alice  3,000",
                "12  bob        7  late",
            ])
        #expect(table.lines(indent: 2).allSatisfy { $0.hasPrefix("  ") })
    }
}
