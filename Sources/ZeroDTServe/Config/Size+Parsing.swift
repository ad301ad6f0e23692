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
}
