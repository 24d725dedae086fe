#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The times `recordings-list` takes: a UTC date (`2026-12-01`) or a UTC time (`2026-12-01T09:00:00Z`).
///
/// Parsed by hand, digit by digit, so what is accepted does not depend on a platform's date parser and is exactly
/// what docs/admin-protocol.md says.
enum AdminTimeArgument {
    /// The instant `text` names, or nil if it is neither form. A date alone is the start of that day, or with
    /// `dayEnd` the start of the next (so `to = 2026-12-01` includes all of that day).
    static func parse(_ text: String, dayEnd: Bool = false) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count == 10 || bytes.count == 20 else { return nil }
        guard let year = number(bytes, 0, 4), bytes[4] == UInt8(ascii: "-"), let month = number(bytes, 5, 2),
            bytes[7] == UInt8(ascii: "-"), let day = number(bytes, 8, 2), (1970...9999).contains(year),
            (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day)
        else { return nil }
        var seconds = daysSinceEpoch(year: year, month: month, day: day) * 86_400
        if bytes.count == 10 {
            if dayEnd { seconds += 86_400 }
            return Date(timeIntervalSince1970: Double(seconds))
        }
        guard bytes[10] == UInt8(ascii: "T"), let hour = number(bytes, 11, 2), bytes[13] == UInt8(ascii: ":"),
            let minute = number(bytes, 14, 2), bytes[16] == UInt8(ascii: ":"), let second = number(bytes, 17, 2),
            bytes[19] == UInt8(ascii: "Z"), hour < 24, minute < 60, second < 60
        else { return nil }
        seconds += hour * 3600 + minute * 60 + second
        return Date(timeIntervalSince1970: Double(seconds))
    }

    private static func number(_ bytes: [UInt8], _ start: Int, _ count: Int) -> Int? {
        var value = 0
        for byte in bytes[start..<start + count] {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from 1970-01-01 to the date (the proleptic Gregorian calendar, as ISO 8601 counts).
    private static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let cumulative = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334]
        let leapsBefore = { (y: Int) in y / 4 - y / 100 + y / 400 }
        let previous = year - 1
        var days = (year - 1970) * 365 + leapsBefore(previous) - leapsBefore(1969)
        days += cumulative[month - 1] + day - 1
        if month > 2, daysIn(month: 2, year: year) == 29 { days += 1 }
        return days
    }
}
