import Foundation
import Testing

@testable import ZeroDTHTTP

@Suite struct HTTPDateTests {
    /// RFC 9110's own example instant.
    let example = 784_111_777

    @Test func formatsIMFFixdate() {
        #expect(HTTPDate.format(example) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.format(0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPDate.format(-1) == "Wed, 31 Dec 1969 23:59:59 GMT")
        #expect(HTTPDate.format(951_782_400) == "Tue, 29 Feb 2000 00:00:00 GMT")
    }

    @Test func formatAgreesWithGmtimeAcrossCenturies() {
        var seconds = -2_208_988_800  // 1900
        while seconds < 4_102_444_800 {  // 2100
            var time = time_t(seconds)
            var parts = tm()
            gmtime_r(&time, &parts)
            var buffer = [CChar](repeating: 0, count: 64)
            let count = strftime(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S GMT", &parts)
            let expected = String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            #expect(HTTPDate.format(seconds) == expected)
            #expect(HTTPDate.parse(expected) == seconds)
            seconds += 3_600 * 24 * 17 + 4_321
        }
    }

    @Test func parsesTheThreeFormatsRecipientsMustAccept() {
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT") == example)
        #expect(HTTPDate.parse("Sunday, 06-Nov-94 08:49:37 GMT", currentYear: 2025) == example)
        #expect(HTTPDate.parse("Sun Nov  6 08:49:37 1994") == example)
        #expect(HTTPDate.parse("Sun Nov 16 08:49:37 1994") == example + 10 * 86_400)
    }

    @Test func rfc850TwoDigitYearsMoreThanFiftyYearsAheadAreInThePast() {
        #expect(HTTPDate.parse("Saturday, 01-Jan-00 00:00:00 GMT", currentYear: 2025) == 946_684_800)
        #expect(HTTPDate.parse("Thursday, 01-Jan-70 00:00:00 GMT", currentYear: 2025) == 3_155_760_000)
        #expect(HTTPDate.parse("Thursday, 01-Jan-70 00:00:00 GMT", currentYear: 2015) == 0)
    }

    @Test(arguments: [
        "", "Sun, 06 Nov 1994 08:49:37 UTC", "sun, 06 Nov 1994 08:49:37 GMT", "Sun, 06 nov 1994 08:49:37 GMT",
        "Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 06 Nov 1994 08:60:00 GMT",
        "Sun, 30 Feb 1994 08:49:37 GMT", "Sun, 29 Feb 2023 08:49:37 GMT", "Sun, 00 Nov 1994 08:49:37 GMT",
        "Sun,  06 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 GMT ", "Sun, 0x Nov 1994 08:49:37 GMT",
        "Sund, 06-Nov-94 08:49:37 GMT", "Sunday, 06-Nov-1994 08:49:37 GMT", "Sun Nov 6 08:49:37 1994",
        "1994-11-06T08:49:37Z", "784111777",
    ])
    func rejects(_ text: String) {
        #expect(HTTPDate.parse(text) == nil)
    }

    @Test func acceptsLeapDaysAndLeapSeconds() {
        #expect(HTTPDate.parse("Thu, 29 Feb 2024 00:00:00 GMT") == 1_709_164_800)
        #expect(HTTPDate.parse("Sat, 31 Dec 2016 23:59:60 GMT") == 1_483_228_800)
    }
}
