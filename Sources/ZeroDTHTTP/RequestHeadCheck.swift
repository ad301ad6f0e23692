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
    private(set) var host: RequestHostName?
    /// The first `Expect` is `100-continue` (RFC 9110 §10.1.1): the client waits for an
    /// interim response before it sends the body.
    private(set) var expectsContinue = false

    init(_ head: HTTPRequestHead, maxBodySize: Int) {
        // One pass over the headers, comparing names byte by byte (`lowercased()` is
        // Unicode's, and slow): this runs for every request.
        var fields = Fields()
        var expectation: String?
        for (name, value) in head.headers {
            // The names looked for differ in length: each field is compared with at most one.
            switch name.utf8.count {
            case 17 where name.isASCIICaseInsensitiveEqual(to: "transfer-encoding"):
                fields.transferEncodings.append(value)
            case 4 where name.isASCIICaseInsensitiveEqual(to: "host"):
                fields.hosts += 1
                fields.host = value
                // A byte search: with Foundation visible in this module (nio-http2 brings it),
                // `contains(",")` resolves to NSString's search, a few µs per request; and over
                // the contiguous bytes, as iterating the view calls a protocol witness a byte.
                var value = value
                fields.hostIsList = fields.hostIsList || value.withUTF8 { $0.contains(UInt8(ascii: ",")) }
            case 14 where fields.contentLength == nil && name.isASCIICaseInsensitiveEqual(to: "content-length"):
                fields.contentLength = value
            case 6 where expectation == nil && name.isASCIICaseInsensitiveEqual(to: "expect"):
                expectation = value
            case 10 where name.isASCIICaseInsensitiveEqual(to: "connection"):
                fields.saysClose = fields.saysClose || value.split(separator: ",").contains {
                    $0.trimmingOptionalWhitespace().utf8.isASCIICaseInsensitiveEqual(to: "close")
                }
            default:
                break
            }
        }
        fields.expectsContinue = expectation?.isASCIICaseInsensitiveEqual(to: "100-continue") == true
        self.init(head.method, version: head.version, uri: head.uri, fields: fields, maxBodySize: maxBodySize)
    }

    /// The check of a head the fast path read, which found its fields as it parsed them.
    /// Such a head has no body and neither framing field, and its target is origin-form,
    /// naming no host of its own: only its `Host` can fail it.
    init(_ head: borrowing CompactRequestHead) {
        // A plain `Host` is read where it is, and its name kept as its bytes; the check is
        // then `init(plainHost:)`'s (through the general one, the copies of its values cost
        // more than the check). Any other `Host` is made a `String` for the general reading.
        guard let plain = head.fields.host.flatMap({ RequestHostName(plainValueIn: head.bytes, at: $0) }) else {
            let fields = Fields(hosts: head.fields.hostCount, host: head.hostValue, hostIsList: head.fields.hostIsList,
                                expectsContinue: head.fields.expectsContinue == true, saysClose: head.fields.saysClose)
            self.init(head.method, version: head.version, uri: head.uri, fields: fields, maxBodySize: 0)
            return
        }
        self.init(plainHost: plain, fields: head.fields, version: head.version)
    }

    /// The check of a fast-path head whose `Host` is plain (`plainHost`), as the general one
    /// would make it of the same head.
    private init(plainHost: RequestHostName, fields: CompactRequestHead.Fields, version: HTTPVersion) {
        host = plainHost
        expectsContinue = fields.expectsContinue == true
        closesConnection = fields.saysClose
        if let status = Self.hostFailure(version: version, hosts: fields.hostCount, hostIsList: fields.hostIsList) {
            reject(status, beforeBody: true)
        }
    }

    /// What the check reads of a head's fields.
    private struct Fields {
        var hosts = 0
        /// The last `Host` value.
        var host: String?
        var hostIsList = false
        var expectsContinue = false
        var transferEncodings: [String] = []
        /// The first `Content-Length` value.
        var contentLength: String?
        /// A `Connection` field holds `close`.
        var saysClose = false
    }

    private init(_ method: HTTPMethod, version: HTTPVersion, uri: String, fields: Fields, maxBodySize: Int) {
        expectsContinue = fields.expectsContinue
        let lookup = RequestHost.lookup(uri: uri, host: fields.host)
        if case .name(let name) = lookup { host = RequestHostName(name) }
        if let status = Self.framingFailure(fields.transferEncodings) {
            reject(status, beforeBody: true)
        } else if let status = Self.hostFailure(version: version, hosts: fields.hosts, hostIsList: fields.hostIsList) {
            reject(status, beforeBody: true)
        } else if lookup == .invalid || !Self.hasValidForm(method: method, version: version, uri: uri) {
            reject(.badRequest, beforeBody: true)
        } else if let contentLength = fields.contentLength, let bytes = Int(contentLength), bytes > maxBodySize {
            reject(.payloadTooLarge, beforeBody: true)
        } else if case .RAW = method {
            // The body is framed properly: read and discard it, keep the connection.
            reject(.notImplemented, beforeBody: false)
        }
        // §6.1: an HTTP/1.0 client cannot have sent a chunked body knowingly, so an
        // intermediary may have mangled it; answer, then close.
        if version.major == 1 && version.minor == 0 && !fields.transferEncodings.isEmpty {
            closesConnection = true
        }
        // §9.3: `close` ends the connection whatever else `Connection` says. The decoder's
        // keep-alive reading (llhttp's) looks only for `keep-alive` in an HTTP/1.0 request.
        if fields.saysClose { closesConnection = true }
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
    private static func hasValidForm(method: HTTPMethod, version: HTTPVersion, uri: String) -> Bool {
        version.major != 2 || uri.utf8.first == UInt8(ascii: "/") || (uri == "*" && method == .OPTIONS)
    }

    /// §3.2: an HTTP/1.1 request carries exactly one `Host`, an HTTP/1.0 one at most one;
    /// a list in it names no single host.
    private static func hostFailure(version: HTTPVersion, hosts: Int, hostIsList: Bool) -> HTTPResponseStatus? {
        let required = version.major > 1 || (version.major == 1 && version.minor >= 1)
        return hosts > 1 || (required && hosts == 0) || hostIsList ? .badRequest : nil
    }
}
