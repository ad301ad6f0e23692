#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// HTTP-date (RFC 9110 §5.6.7) as whole seconds since the Unix epoch.
///
/// Formatting and parsing are plain arithmetic on the proleptic Gregorian calendar, so the
/// hot path needs neither `DateFormatter` nor the C library's time-zone machinery.
enum HTTPDate {
    private static let dayNames: [[UInt8]] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"].map { Array($0.utf8) }
    private static let longDayNames: [[UInt8]] = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                                                  "Saturday"].map { Array($0.utf8) }
    private static let monthNames: [[UInt8]] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                                                "Nov", "Dec"].map { Array($0.utf8) }

    /// `seconds` as an IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
    static func format(_ seconds: Int) -> String {
        let days = seconds.floorDivided(by: 86_400)
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = civil(fromDays: days)
        let weekday = (days + 4).floorModulo(7)  // 1970-01-01 was a Thursday.
        let clampedYear = min(max(year, 0), 9999)

        var bytes: [UInt8] = []
        bytes.reserveCapacity(29)
        bytes += dayNames[weekday]
        bytes += [UInt8(ascii: ","), UInt8(ascii: " ")]
        appendDigits(day, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: " "))
        bytes += monthNames[month - 1]
        bytes.append(UInt8(ascii: " "))
        appendDigits(clampedYear, width: 4, to: &bytes)
        bytes.append(UInt8(ascii: " "))
        appendDigits(secondOfDay / 3600, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(secondOfDay / 60 % 60, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(secondOfDay % 60, width: 2, to: &bytes)
        bytes += Array(" GMT".utf8)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Parses any of the three formats a recipient must accept: IMF-fixdate, the obsolete
    /// RFC 850 form and asctime. Returns nil for anything else.
    ///
    /// - Parameter currentYear: anchors RFC 850's two-digit years (RFC 9110 §5.6.7: a year
    ///   more than 50 years ahead means the century before); the current UTC year by default.
    static func parse(_ text: some StringProtocol, currentYear: Int? = nil) -> Int? {
        let bytes = Array(text.utf8)
        switch bytes.count {
        case 29: return parseIMFFixdate(bytes)
        case 24: return parseAsctime(bytes)
        default: return parseRFC850(bytes, currentYear: currentYear)
        }
    }

    /// `Sun, 06 Nov 1994 08:49:37 GMT`
    private static func parseIMFFixdate(_ b: [UInt8]) -> Int? {
        guard dayNames.contains(where: { $0[...] == b[0..<3] }),
              b[3] == UInt8(ascii: ","), b[4] == UInt8(ascii: " "),
              let day = number(b[5..<7]), b[7] == UInt8(ascii: " "),
              let month = monthIndex(b[8..<11]), b[11] == UInt8(ascii: " "),
              let year = number(b[12..<16]), b[16] == UInt8(ascii: " "),
              let secondOfDay = timeOfDay(b[17..<25]), b[25...] == Array(" GMT".utf8)[...]
        else { return nil }
        return epochSeconds(year: year, month: month, day: day, secondOfDay: secondOfDay)
    }

    /// `Sun Nov  6 08:49:37 1994`
    private static func parseAsctime(_ b: [UInt8]) -> Int? {
        guard dayNames.contains(where: { $0[...] == b[0..<3] }), b[3] == UInt8(ascii: " "),
              let month = monthIndex(b[4..<7]), b[7] == UInt8(ascii: " ")
        else { return nil }
        let dayDigits = b[8] == UInt8(ascii: " ") ? b[9..<10] : b[8..<10]
        guard let day = number(dayDigits), b[10] == UInt8(ascii: " "),
              let secondOfDay = timeOfDay(b[11..<19]), b[19] == UInt8(ascii: " "),
              let year = number(b[20..<24])
        else { return nil }
        return epochSeconds(year: year, month: month, day: day, secondOfDay: secondOfDay)
    }

    /// `Sunday, 06-Nov-94 08:49:37 GMT`
    private static func parseRFC850(_ b: [UInt8], currentYear: Int?) -> Int? {
        guard let comma = b.firstIndex(of: UInt8(ascii: ",")),
              longDayNames.contains(where: { $0[...] == b[..<comma] }),
              b.count == comma + 24
        else { return nil }
        let rest = b[(comma + 1)...]
        let s = rest.startIndex
        guard rest[s] == UInt8(ascii: " "),
              let day = number(rest[(s + 1)..<(s + 3)]), rest[s + 3] == UInt8(ascii: "-"),
              let month = monthIndex(rest[(s + 4)..<(s + 7)]), rest[s + 7] == UInt8(ascii: "-"),
              let shortYear = number(rest[(s + 8)..<(s + 10)]), rest[s + 10] == UInt8(ascii: " "),
              let secondOfDay = timeOfDay(rest[(s + 11)..<(s + 19)]), rest[(s + 19)...] == Array(" GMT".utf8)[...]
        else { return nil }
        let thisYear = currentYear ?? civil(fromDays: Int(time(nil)).floorDivided(by: 86_400)).year
        var year = thisYear - thisYear % 100 + shortYear
        if year > thisYear + 50 { year -= 100 }
        return epochSeconds(year: year, month: month, day: day, secondOfDay: secondOfDay)
    }

    private static func monthIndex(_ b: ArraySlice<UInt8>) -> Int? {
        monthNames.firstIndex(where: { $0[...] == b }).map { $0 + 1 }
    }

    /// `HH:MM:SS`, as seconds into the day.
    private static func timeOfDay(_ b: ArraySlice<UInt8>) -> Int? {
        let s = b.startIndex
        guard let hour = number(b[s..<(s + 2)]), b[s + 2] == UInt8(ascii: ":"),
              let minute = number(b[(s + 3)..<(s + 5)]), b[s + 5] == UInt8(ascii: ":"),
              let second = number(b[(s + 6)..<(s + 8)]),
              hour < 24, minute < 60, second <= 60  // 60: a leap second is valid syntax.
        else { return nil }
        return hour * 3600 + minute * 60 + second
    }

    private static func number(_ digits: ArraySlice<UInt8>) -> Int? {
        var value = 0
        for digit in digits {
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(digit - UInt8(ascii: "0"))
        }
        return value
    }

    private static func epochSeconds(year: Int, month: Int, day: Int, secondOfDay: Int) -> Int? {
        guard day >= 1, day <= daysIn(month: month, year: year) else { return nil }
        return days(fromCivil: year, month, day) * 86_400 + secondOfDay
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    private static func appendDigits(_ value: Int, width: Int, to bytes: inout [UInt8]) {
        var divisor = 1
        for _ in 1..<width { divisor *= 10 }
        while divisor > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
            divisor /= 10
        }
    }

    // Howard Hinnant's days_from_civil / civil_from_days: exact for every proleptic
    // Gregorian date, with no tables and no time zones.
    static func days(fromCivil year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = y.floorDivided(by: 400)
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civil(fromDays days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = z.floorDivided(by: 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

extension Int {
    fileprivate func floorDivided(by divisor: Int) -> Int {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }

    fileprivate func floorModulo(_ divisor: Int) -> Int {
        self - floorDivided(by: divisor) * divisor
    }
}
