import NIOHTTP1

extension HTTPRequestHead {
    /// This head with each field value without the spaces and tabs at its ends (RFC 9112 §5:
    /// `field-name ":" OWS field-value OWS`); nil when no value has any, as nearly none has.
    /// NIO's decoder (llhttp) drops the whitespace before a value but keeps what follows it,
    /// so that `Expect: 100-continue\t` or `If-None-Match: "x" ` did not say what it says to
    /// whoever read it; the fast path's head holds none (``SimpleRequestHead``).
    func trimmingFieldValues() -> HTTPRequestHead? {
        guard headers.contains(where: { ($0.value.utf8.first ?? 0).isOptionalWhitespace
                                            || ($0.value.utf8.last ?? 0).isOptionalWhitespace }) else { return nil }
        var head = self
        head.headers = HTTPHeaders(headers.map { ($0.name, String(Substring($0.value).trimmingOptionalWhitespace())) })
        return head
    }
}
