/// An entity-tag (RFC 9110 §8.8.3): an opaque quoted string, optionally marked weak.
struct EntityTag: Equatable, CustomStringConvertible {
    /// The characters between the quotes.
    var opaque: String
    /// True for a `W/` tag, which may match representations that differ in their bytes.
    var isWeak: Bool

    /// The field value form: `"opaque"` or `W/"opaque"`.
    var description: String { isWeak ? "W/\"\(opaque)\"" : "\"\(opaque)\"" }

    /// Strong comparison (§8.8.3.2): both strong and the same opaque string.
    func strongMatches(_ other: EntityTag) -> Bool {
        !isWeak && !other.isWeak && opaque == other.opaque
    }

    /// Weak comparison: the same opaque string, weakness ignored.
    func weakMatches(_ other: EntityTag) -> Bool {
        opaque == other.opaque
    }

    /// Parses one entity-tag that must fill `text` exactly, as `If-Range` carries it.
    static func parse(_ text: some StringProtocol) -> EntityTag? {
        var scanner = Scanner(Array(text.utf8))
        guard let tag = scanner.entityTag(), scanner.isAtEnd else { return nil }
        return tag
    }
}

/// The value of `If-Match` or `If-None-Match`: `*` or a list of entity-tags.
enum EntityTagCondition: Equatable {
    /// `*`: any current representation.
    case any
    /// The listed tags; empty when the field could not be parsed, so it matches nothing.
    case tags([EntityTag])

    /// Parses the field's lines, joined as a list. A syntax error anywhere yields `.tags([])`:
    /// for `If-Match` that fails the precondition, for `If-None-Match` it never yields 304.
    init(fieldLines: [String]) {
        if fieldLines.count == 1, Scanner(Array(fieldLines[0].utf8)).isLoneStar {
            self = .any
            return
        }
        var tags: [EntityTag] = []
        for line in fieldLines {
            var scanner = Scanner(Array(line.utf8))
            // The list rule (§5.6.1) allows empty elements, so stray commas are tolerated.
            while true {
                scanner.skipWhitespaceAndCommas()
                if scanner.isAtEnd { break }
                guard let tag = scanner.entityTag() else {
                    self = .tags([])
                    return
                }
                tags.append(tag)
                scanner.skipWhitespace()
                guard scanner.isAtEnd || scanner.peek == UInt8(ascii: ",") else {
                    self = .tags([])
                    return
                }
            }
        }
        self = .tags(tags)
    }

    /// Whether `current` satisfies the condition under `comparison`.
    func matches(_ current: EntityTag, using comparison: (EntityTag, EntityTag) -> Bool) -> Bool {
        switch self {
        case .any: return true
        case .tags(let tags): return tags.contains { comparison($0, current) }
        }
    }
}

private struct Scanner {
    private let bytes: [UInt8]
    private var position = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        skipWhitespace()
    }

    /// True when the rest is `*`, possibly padded.
    var isLoneStar: Bool {
        var copy = self
        guard copy.peek == UInt8(ascii: "*") else { return false }
        copy.position += 1
        copy.skipWhitespace()
        return copy.isAtEnd
    }

    var isAtEnd: Bool { position == bytes.count }
    var peek: UInt8? { isAtEnd ? nil : bytes[position] }

    mutating func skipWhitespace() {
        while let byte = peek, byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") { position += 1 }
    }

    mutating func skipWhitespaceAndCommas() {
        while let byte = peek, byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: ",") {
            position += 1
        }
    }

    /// `[ "W/" ] DQUOTE *etagc DQUOTE`, where etagc is any visible byte but `"`, or obs-text.
    mutating func entityTag() -> EntityTag? {
        var isWeak = false
        if bytes[position...].starts(with: [UInt8(ascii: "W"), UInt8(ascii: "/")]) {
            isWeak = true
            position += 2
        }
        guard peek == UInt8(ascii: "\"") else { return nil }
        position += 1
        let start = position
        while let byte = peek, byte != UInt8(ascii: "\"") {
            guard byte == 0x21 || byte >= 0x23 && byte != 0x7F else { return nil }
            position += 1
        }
        guard !isAtEnd else { return nil }
        let opaque = String(decoding: bytes[start..<position], as: UTF8.self)
        position += 1
        return EntityTag(opaque: opaque, isWeak: isWeak)
    }
}
