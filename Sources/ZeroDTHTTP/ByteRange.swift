/// One byte-range-spec of a `Range: bytes=` field (RFC 9110 §14.1.2), before the
/// representation's size is known.
enum ByteRangeSpec: Equatable {
    /// `first-last`, both inclusive.
    case closed(first: Int, last: Int)
    /// `first-`: from `first` to the end.
    case from(Int)
    /// `-length`: the last `length` bytes.
    case suffix(Int)

    /// The bytes this spec selects from a representation of `size` bytes; nil when it is
    /// unsatisfiable (it starts at or past the end, or asks for an empty suffix).
    func resolved(size: Int) -> Range<Int>? {
        switch self {
        case .closed(let first, let last):
            return first < size ? first..<(min(last, size - 1) + 1) : nil
        case .from(let first):
            return first < size ? first..<size : nil
        case .suffix(let length):
            return length > 0 && size > 0 ? max(0, size - length)..<size : nil
        }
    }
}

/// What a `Range` field asks of a representation.
enum ByteRangeSelection: Equatable {
    /// No usable `Range`: send the whole representation with 200.
    case whole
    /// None of the ranges overlaps the representation: 416.
    case unsatisfiable
    /// Send these ranges with 206: sorted, non-empty, neither overlapping nor adjacent.
    case ranges([Range<Int>])
}

/// Parsing and resolution of the `Range` field.
enum ByteRanges {
    /// The most byte-range-specs a request may list. More than this and the field is
    /// ignored (RFC 9110 §14.2 allows that), since many tiny ranges only serve to make
    /// the server do work out of proportion to the bytes it sends.
    static let maximumCount = 16

    /// Decides what to send for the `Range` field lines `fieldLines` of a representation of
    /// `size` bytes. An absent, repeated or invalid field, a unit other than `bytes`, and a
    /// list longer than `limit` all mean `.whole`. Overlapping and adjacent ranges are coalesced.
    static func select(_ fieldLines: [String], size: Int, limit: Int = maximumCount) -> ByteRangeSelection {
        guard fieldLines.count == 1, let specs = parse(fieldLines[0]), specs.count <= limit else { return .whole }
        let ranges = specs.compactMap { $0.resolved(size: size) }.sorted { $0.lowerBound < $1.lowerBound }
        guard var current = ranges.first else { return .unsatisfiable }
        var coalesced: [Range<Int>] = []
        for range in ranges.dropFirst() {
            if range.lowerBound <= current.upperBound {
                current = current.lowerBound..<max(current.upperBound, range.upperBound)
            } else {
                coalesced.append(current)
                current = range
            }
        }
        coalesced.append(current)
        return .ranges(coalesced)
    }

    /// Parses `bytes=spec, spec, ...`; nil when the unit is not `bytes` or any spec is
    /// malformed (including `last < first`). Numbers too large for `Int` saturate.
    static func parse(_ value: some StringProtocol) -> [ByteRangeSpec]? {
        let bytes = Array(value.utf8)
        let unit = Array("bytes=".utf8)
        var position = 0
        while position < bytes.count, bytes[position] == UInt8(ascii: " ") || bytes[position] == UInt8(ascii: "\t") {
            position += 1
        }
        guard bytes.count - position >= unit.count,
              zip(bytes[position...], unit).allSatisfy({ $0.asciiLowercased == $1 })
        else { return nil }
        position += unit.count

        var specs: [ByteRangeSpec] = []
        // The list rule (§5.6.1) allows empty elements and whitespace around commas.
        for element in bytes[position...].split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
            let trimmed = element.drop { isWhitespace($0) }.reversed().drop { isWhitespace($0) }.reversed()
            if trimmed.isEmpty { continue }
            guard let spec = parseSpec(Array(trimmed)) else { return nil }
            specs.append(spec)
        }
        return specs.isEmpty ? nil : specs
    }

    private static func parseSpec(_ bytes: [UInt8]) -> ByteRangeSpec? {
        guard let dash = bytes.firstIndex(of: UInt8(ascii: "-")) else { return nil }
        let firstDigits = bytes[..<dash]
        let lastDigits = bytes[(dash + 1)...]
        if firstDigits.isEmpty {
            return number(lastDigits).map { .suffix($0) }
        }
        guard let first = number(firstDigits) else { return nil }
        if lastDigits.isEmpty { return .from(first) }
        guard let last = number(lastDigits), last >= first else { return nil }
        return .closed(first: first, last: last)
    }

    private static func number(_ digits: ArraySlice<UInt8>) -> Int? {
        guard !digits.isEmpty else { return nil }
        var value = 0
        for digit in digits {
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return nil }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(Int(digit - UInt8(ascii: "0")))
            value = overflow1 || overflow2 ? Int.max : sum
        }
        return value
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }
}
