/// The ASCII text helpers that field parsing shares: optional whitespace (OWS, RFC 9110
/// §5.6.3: spaces and tabs) around values and list elements, and byte-wise ASCII case.

extension BidirectionalCollection<UInt8> {
    /// Without the spaces and tabs at either end.
    func trimmingOptionalWhitespace() -> SubSequence {
        let isOWS: (UInt8) -> Bool = { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
        guard let first = firstIndex(where: { !isOWS($0) }), let last = lastIndex(where: { !isOWS($0) }) else {
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
    /// The byte lower-cased if it is an ASCII capital, else as it is: no Unicode case
    /// folding, which would make `\u{212A}` (KELVIN SIGN) a `k`.
    var asciiLowercased: UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self) ? self + 0x20 : self
    }
}
