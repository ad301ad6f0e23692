extension Duration {
    /// Parses a config duration: one or more `NUMBER UNIT` parts, such as `250ms`, `10s`
    /// or `1m30s`; units are `ns`, `us`, `ms`, `s`, `m` and `h`. `0` alone means zero.
    /// - Returns: nil when the text is not such a duration.
    static func parseConfigValue(_ text: String) -> Duration? {
        if text == "0" { return .zero }
        var scalars = Substring(text).unicodeScalars[...]
        var total = Duration.zero
        guard !scalars.isEmpty else { return nil }
        while !scalars.isEmpty {
            let digits = scalars.prefix { ("0"..."9").contains($0) }
            guard !digits.isEmpty, digits.count <= 9, let number = Int64(String(String.UnicodeScalarView(digits))) else {
                return nil
            }
            scalars = scalars.dropFirst(digits.count)
            let unit = String(String.UnicodeScalarView(scalars.prefix { ("a"..."z").contains($0) }))
            scalars = scalars.dropFirst(unit.unicodeScalars.count)
            switch unit {
            case "ns": total += .nanoseconds(number)
            case "us": total += .microseconds(number)
            case "ms": total += .milliseconds(number)
            case "s": total += .seconds(number)
            case "m": total += .seconds(number * 60)
            case "h": total += .seconds(number * 3600)
            default: return nil
            }
        }
        return total
    }

    /// How units are often written elsewhere, lower-cased, and the unit meant here.
    private static let unitSpellings: [String: String] = [
        "sec": "s", "secs": "s", "second": "s", "seconds": "s",
        "min": "m", "mins": "m", "minute": "m", "minutes": "m",
        "hr": "h", "hrs": "h", "hour": "h", "hours": "h", "msec": "ms", "msecs": "ms",
    ]

    /// The spelling that parses for a near miss such as `10S`, `1min` or `1 s`, and whether
    /// only the letter case differs; nil when there is none.
    static func configSuggestion(for text: String) -> (spelling: String, caseOnly: Bool)? {
        var spelling = ""
        var rest = Substring(text.lowercased().filter { $0 != " " })
        while !rest.isEmpty {
            let digits = rest.prefix { ("0"..."9").contains($0) }
            let unit = rest.dropFirst(digits.count).prefix { !("0"..."9").contains($0) }
            spelling += digits + (unitSpellings[String(unit)] ?? String(unit))
            rest = rest.dropFirst(digits.count + unit.count)
        }
        guard spelling != text, parseConfigValue(spelling) != nil else { return nil }
        return (spelling, spelling == text.lowercased())
    }

    /// The duration in the config spelling, e.g. `1m30s` or `250ms`, which
    /// `parseConfigValue` reads back to the same value down to the nanosecond.
    var configDescription: String {
        let (seconds, attoseconds) = components
        let nanoseconds = attoseconds / 1_000_000_000
        var parts = ""
        if seconds >= 3600 { parts += "\(seconds / 3600)h" }
        if seconds % 3600 >= 60 { parts += "\(seconds % 3600 / 60)m" }
        if seconds % 60 > 0 { parts += "\(seconds % 60)s" }
        if nanoseconds / 1_000_000 > 0 { parts += "\(nanoseconds / 1_000_000)ms" }
        if nanoseconds / 1000 % 1000 > 0 { parts += "\(nanoseconds / 1000 % 1000)us" }
        if nanoseconds % 1000 > 0 { parts += "\(nanoseconds % 1000)ns" }
        return parts.isEmpty ? "0s" : parts
    }
}
