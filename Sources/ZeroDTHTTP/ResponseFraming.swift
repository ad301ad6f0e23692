import NIOHTTP1

/// What a response's status and its request's method say about its body (RFC 9110 §6.4.1,
/// §9.3.2): 1xx, 204 and 304 have none, and so no `Content-Length`; a `HEAD` gets the
/// `Content-Length` of the `GET` without a byte of its body.
struct ResponseFraming {
    /// Whether the response carries `Content-Length` (or, streamed, a body of unknown length).
    var hasLength: Bool
    /// Whether its body goes on the wire.
    var sendsBody: Bool

    init(method: HTTPMethod, status: HTTPResponseStatus) {
        let code = status.code
        hasLength = code >= 200 && code != 204 && code != 304
        sendsBody = hasLength && !method.isHEAD
    }
}

extension HTTPMethod {
    /// Whether this is `HEAD`, told by its case: `==` on `HTTPMethod` resolves to
    /// `RawRepresentable`'s, which compares the methods' names as strings, on every response.
    var isHEAD: Bool {
        if case .HEAD = self { return true }
        return false
    }
}
