/// The ASCII text helpers that field parsing shares: optional whitespace (OWS, RFC 9110
/// §5.6.3: spaces and tabs) around values and list elements, and byte-wise ASCII case.

extension BidirectionalCollection<UInt8> {
    /// Without the spaces and tabs at either end.
    func trimmingOptionalWhitespace() -> SubSequence {
        guard let first = firstIndex(where: { !$0.isOptionalWhitespace }),
              let last = lastIndex(where: { !$0.isOptionalWhitespace }) else {
            return self[endIndex...]
        }
        return self[first...last]
    }
}

extension Substring {
    /// Without the spaces and tabs at either end.
    func trimmingOptionalWhitespace() -> Substring {
        Substring(utf8.trimmingOptionalWhitespace())
    }
}

extension UInt8 {
    /// A space or a tab: OWS (RFC 9110 §5.6.3), around field values and list elements.
    var isOptionalWhitespace: Bool {
        self == UInt8(ascii: " ") || self == UInt8(ascii: "\t")
    }

    /// The byte lower-cased if it is an ASCII capital, else as it is: no Unicode case
    /// folding, which would make `\u{212A}` (KELVIN SIGN) a `k`.
    var asciiLowercased: UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self) ? self + 0x20 : self
    }
}

extension Collection<UInt8> {
    /// Whether these bytes are `lowercase` in any ASCII case, byte by byte (see
    /// `asciiLowercased`): a field name or token compared where it was read, with no `String`.
    func isASCIICaseInsensitiveEqual(to lowercase: some Collection<UInt8>) -> Bool {
        count == lowercase.count && zip(self, lowercase).allSatisfy { $0.asciiLowercased == $1 }
    }

    /// Whether these bytes are `lowercase` in any ASCII case (a name known when building).
    func isASCIICaseInsensitiveEqual(to lowercase: StaticString) -> Bool {
        isASCIICaseInsensitiveEqual(to: UnsafeBufferPointer(start: lowercase.utf8Start,
                                                            count: lowercase.utf8CodeUnitCount))
    }
}

extension String {
    /// Whether this is `lowercase` in any ASCII case, byte by byte: no lower-cased copy,
    /// and no Unicode case folding (see `asciiLowercased`).
    func isASCIICaseInsensitiveEqual(to lowercase: String) -> Bool {
        guard utf8.count == lowercase.utf8.count else { return false }
        // Over the contiguous bytes: iterating the views goes through a protocol witness a byte.
        var text = self
        var lowercase = lowercase
        return text.withUTF8 { text in
            lowercase.withUTF8 { lowercase in zip(text, lowercase).allSatisfy { $0.asciiLowercased == $1 } }
        }
    }
}
