import NIOHPACK

/// Reconciles HTTP/2's two ways of naming a request's host, `:authority` and `host`, before
/// `HTTP2Messages.requestHead` makes the request an HTTP/1 head (RFC 9113 §8.3.1). That head
/// keeps `host` and takes `:authority` only in its absence, so a difference between them
/// would go unseen; here it becomes something `RequestHeadCheck` judges as it judges HTTP/1.
enum HTTP2RequestAuthority {
    /// - Without `:authority`, `host` names the host (§8.3.1 allows that): nothing to do.
    ///   With neither, the head gets an empty `Host`: 400.
    /// - With both, a `host` that differs from `:authority` (compared without the whitespace
    ///   around it and ASCII case) makes the request malformed: `:authority` is added as a
    ///   second `host`, which is refused (400) as two `Host` headers are.
    static func reconcile(_ headers: inout HPACKHeaders) {
        guard let authority = headers.first(name: ":authority") else { return }
        // Most requests have no `host`: no list of its values for them.
        guard headers.contains(name: "host") else { return }
        if headers["host"].contains(where: { comparable($0) != comparable(authority) }) {
            headers.add(name: "host", value: authority)
        }
    }

    private static func comparable(_ value: String) -> [UInt8] {
        Substring(value).utf8.trimmingOptionalWhitespace().map(\.asciiLowercased)
    }
}
