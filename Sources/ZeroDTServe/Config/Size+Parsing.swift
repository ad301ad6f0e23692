/// Byte sizes as written in the config.
enum ConfigSize {
    private static let units: [(suffix: String, factor: Int)] = [
        ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30),
        ("KB", 1000), ("MB", 1_000_000), ("GB", 1_000_000_000),
        ("B", 1), ("", 1),
    ]

    /// Parses `512`, `512B`, `16KiB`, `1MiB`, `2GiB` (binary) or `1KB`, `1MB`, `1GB` (decimal).
    /// - Returns: the number of bytes, or nil when the text is not a size.
    static func parse(_ text: String) -> Int? {
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            let digits = text.dropLast(suffix.count)
            guard !digits.isEmpty, digits.count <= 12, digits.allSatisfy({ ("0"..."9").contains($0) }),
                  let number = Int(digits)
            else { return nil }
            let (bytes, overflow) = number.multipliedReportingOverflow(by: factor)
            return overflow ? nil : bytes
        }
        return nil
    }

    /// How units are often written elsewhere, lower-cased, and the unit meant here.
    private static let unitSpellings: [String: String] = [
        "kib": "KiB", "mib": "MiB", "gib": "GiB", "kb": "KB", "mb": "MB", "gb": "GB", "b": "B",
        "k": "KiB", "m": "MiB", "g": "GiB",
    ]

    /// The spelling that parses for a near miss such as `1mib`, `16k` or `1 MiB`, and
    /// whether only the letter case differs; nil when there is none.
    static func suggestion(for text: String) -> (spelling: String, caseOnly: Bool)? {
        let compact = text.filter { $0 != " " }
        let digits = compact.prefix { ("0"..."9").contains($0) }
        guard !digits.isEmpty, let unit = unitSpellings[String(compact.dropFirst(digits.count)).lowercased()] else {
            return nil
        }
        let spelling = String(digits) + unit
        guard spelling != text, parse(spelling) != nil else { return nil }
        return (spelling, spelling.lowercased() == text.lowercased())
    }
}
