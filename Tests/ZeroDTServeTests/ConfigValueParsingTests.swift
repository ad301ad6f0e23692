import Testing
@testable import ZeroDTServe

@Suite struct DurationParsingTests {
    @Test(arguments: [
        ("0", Duration.zero),
        ("0s", .zero),
        ("250ms", .milliseconds(250)),
        ("10s", .seconds(10)),
        ("1m30s", .seconds(90)),
        ("2h", .seconds(7200)),
        ("1h1m1s", .seconds(3661)),
        ("1s500ms", .milliseconds(1500)),
        ("750us", .microseconds(750)),
        ("5ns", .nanoseconds(5)),
        ("999999999h", .seconds(999_999_999 * 3600)),
    ])
    func parses(_ text: String, _ expected: Duration) {
        #expect(Duration.parseConfigValue(text) == expected)
    }

    @Test(arguments: ["", "10", "s", "1.5s", "-1s", "+1s", "1 s", " 1s", "1S", "1sec", "1d", "1s ", "ms",
                      "1000000000s", "1m30", "٣s", "1s\u{0}"])
    func rejects(_ text: String) {
        #expect(Duration.parseConfigValue(text) == nil)
    }

    @Test(arguments: [
        (Duration.zero, "0s"),
        (.milliseconds(250), "250ms"),
        (.seconds(90), "1m30s"),
        (.seconds(3600), "1h"),
        (.seconds(3661), "1h1m1s"),
        (.milliseconds(1500), "1s500ms"),
        (.microseconds(1500), "1ms500us"),
        (.nanoseconds(7), "7ns"),
    ])
    func describes(_ duration: Duration, _ expected: String) {
        #expect(duration.configDescription == expected)
        #expect(Duration.parseConfigValue(expected) == duration)
    }
}

@Suite struct ConfigSizeTests {
    @Test(arguments: [
        ("0", 0), ("512", 512), ("512B", 512), ("16KiB", 16384), ("1MiB", 1 << 20), ("2GiB", 2 << 30),
        ("1KB", 1000), ("1MB", 1_000_000), ("3GB", 3_000_000_000), ("999999999999KiB", 999_999_999_999 << 10),
    ])
    func parses(_ text: String, _ bytes: Int) {
        #expect(ConfigSize.parse(text) == bytes)
    }

    @Test(arguments: ["", "B", "KiB", "-1", "+1", "1.5MiB", "1 MiB", "1kib", "1KIB", "1TiB", "1iB", "1XB",
                      "1000000000000", "0x10", "١KiB", "999999999999GiB"])
    func rejects(_ text: String) {
        #expect(ConfigSize.parse(text) == nil)
    }
}

@Suite struct SuggestionTests {
    static let keys = ["name", "listen", "timeouts", "limits", "routes"]

    @Test(arguments: [
        ("lisen", "listen"), ("Listen", "listen"), ("LISTEN", "listen"), ("listne", "listen"),
        ("routs", "routes"), ("timeout", "timeouts"), ("nmae", "name"), ("limit", "limits"), ("lmts", "limits"),
    ])
    func suggestsCloseWords(_ word: String, _ expected: String) {
        #expect(Suggestion.closest(to: word, among: Self.keys) == expected)
    }

    @Test(arguments: ["colour", "x", "", "servers", "lsts"])
    func staysQuietForDistantWords(_ word: String) {
        #expect(Suggestion.closest(to: word, among: Self.keys) == nil)
    }

    @Test func noCandidates() {
        #expect(Suggestion.closest(to: "echo", among: []) == nil)
    }

    @Test func distance() {
        #expect(Suggestion.distance("", "abc") == 3)
        #expect(Suggestion.distance("abc", "") == 3)
        #expect(Suggestion.distance("kitten", "sitting") == 3)
        #expect(Suggestion.distance("ecoh", "echo") == 1)
        #expect(Suggestion.distance("same", "same") == 0)
    }
}
