import NIOHTTP1

/// What a request's head alone decides, before any of its body is read: message framing
/// (RFC 9112 §6), `Host` (§3.2), the form of an HTTP/2 target and the body size limit.
struct RequestHeadCheck: Equatable {
    /// The status to refuse the request with; nil when it may go on.
    private(set) var rejection: HTTPResponseStatus?
    /// The refusal goes out at once and the connection closes after it: the body is too
    /// large to read, or where it ends cannot be trusted (so neither can the next request).
    private(set) var rejectsBeforeBody = false
    /// The response must close the connection even when the request is fine.
    private(set) var closesConnection = false
    /// The host the request is for (``RequestHost``), when it is valid; nil when it names none.
    private(set) var host: String?
    /// The first `Expect` is `100-continue` (RFC 9110 §10.1.1): the client waits for an
    /// interim response before it sends the body.
    private(set) var expectsContinue = false
    /// The head has a `Connection` field, whose tokens may keep or close the connection.
    private(set) var hasConnectionField = false

    init(_ head: HTTPRequestHead, maxBodySize: Int) {
        // One pass over the headers, comparing names byte by byte (`lowercased()` is
        // Unicode's, and slow): this runs for every request.
        var transferEncodings: [String] = []
        var hosts = 0
        var hostIsList = false
        var hostValue: String?
        var contentLength: String?
        var expectation: String?
        for (name, value) in head.headers {
            // The names looked for differ in length: each field is compared with at most one.
            switch name.utf8.count {
            case 17 where name.isASCIICaseInsensitiveEqual(to: "transfer-encoding"):
                transferEncodings.append(value)
            case 4 where name.isASCIICaseInsensitiveEqual(to: "host"):
                hosts += 1
                hostValue = value
                // A byte search: with Foundation visible in this module (nio-http2 brings it),
                // `contains(",")` resolves to NSString's search, a few µs per request; and over
                // the contiguous bytes, as iterating the view calls a protocol witness a byte.
                var value = value
                hostIsList = hostIsList || value.withUTF8 { $0.contains(UInt8(ascii: ",")) }
            case 14 where contentLength == nil && name.isASCIICaseInsensitiveEqual(to: "content-length"):
                contentLength = value
            case 6 where expectation == nil && name.isASCIICaseInsensitiveEqual(to: "expect"):
                expectation = value
            case 10 where name.isASCIICaseInsensitiveEqual(to: "connection"):
                hasConnectionField = true
            default:
                break
            }
        }
        expectsContinue = expectation?.isASCIICaseInsensitiveEqual(to: "100-continue") == true
        let lookup = RequestHost.lookup(uri: head.uri, host: hostValue)
        if case .name(let name) = lookup { host = name }
        if let status = Self.framingFailure(transferEncodings) {
            reject(status, beforeBody: true)
        } else if let status = Self.hostFailure(version: head.version, hosts: hosts, hostIsList: hostIsList) {
            reject(status, beforeBody: true)
        } else if lookup == .invalid || !Self.hasValidForm(head) {
            reject(.badRequest, beforeBody: true)
        } else if let contentLength, let bytes = Int(contentLength), bytes > maxBodySize {
            reject(.payloadTooLarge, beforeBody: true)
        } else if case .RAW = head.method {
            // The body is framed properly: read and discard it, keep the connection.
            reject(.notImplemented, beforeBody: false)
        }
        // §6.1: an HTTP/1.0 client cannot have sent a chunked body knowingly, so an
        // intermediary may have mangled it; answer, then close.
        if head.version.major == 1 && head.version.minor == 0 && !transferEncodings.isEmpty {
            closesConnection = true
        }
    }

    private mutating func reject(_ status: HTTPResponseStatus, beforeBody: Bool) {
        rejection = status
        rejectsBeforeBody = beforeBody
    }

    /// §6.3: in a request, `chunked` must be the last transfer coding, or the body's end is
    /// unknown: 400. An empty `Transfer-Encoding` says nothing usable: 400. Any other coding
    /// is one this server cannot decode: 501 (§6.1). (The decoder already refuses a head
    /// with both `Content-Length` and `Transfer-Encoding`.)
    private static func framingFailure(_ values: [String]) -> HTTPResponseStatus? {
        guard !values.isEmpty else { return nil }
        let codings = values.flatMap { $0.split(separator: ",") }
            .map { $0.trimmingOptionalWhitespace().lowercased() }
            .filter { !$0.isEmpty }
        guard codings.last == "chunked", codings.count(where: { $0 == "chunked" }) == 1 else { return .badRequest }
        return codings.count == 1 ? nil : .notImplemented
    }

    /// RFC 9113 §8.3.1: an HTTP/2 `:path` is origin-form, or `*` for OPTIONS; anything else
    /// (an absolute-form target, whose authority could contradict `:authority`) makes the
    /// request malformed. HTTP/1 targets are RequestTarget's to judge.
    private static func hasValidForm(_ head: HTTPRequestHead) -> Bool {
        head.version.major != 2 || head.uri.utf8.first == UInt8(ascii: "/") || (head.uri == "*" && head.method == .OPTIONS)
    }

    /// §3.2: an HTTP/1.1 request carries exactly one `Host`, an HTTP/1.0 one at most one;
    /// a list in it names no single host.
    private static func hostFailure(version: HTTPVersion, hosts: Int, hostIsList: Bool) -> HTTPResponseStatus? {
        let required = version.major > 1 || (version.major == 1 && version.minor >= 1)
        return hosts > 1 || (required && hosts == 0) || hostIsList ? .badRequest : nil
    }
}
