import NIOHPACK
import NIOHTTP1
import NIOHTTP2

/// An HTTP/2 stream's header blocks as HTTP/1 heads and back, as nio-http2's
/// `HTTP2FramePayloadToHTTP1ServerCodec` makes them, in one pass over each block and
/// without its intermediate copies (`HTTP2StreamAdapter` uses them for every request).
enum HTTP2Messages {
    /// The request head of a stream's first HEADERS block: `:method`, `:path` and `:scheme`
    /// once each, `:authority` at most once, with no byte a request line could be split at (a
    /// control character, space or DEL: request smuggling once the head is HTTP/1); `host`
    /// from `:authority` unless the block has one (RFC 9113 §8.3.1 lets `host` stand in for
    /// it), an empty `host` with neither, which `RequestHeadCheck` answers with 400; and for
    /// methods that may carry a body and a block without `content-length`,
    /// `content-length: 0` when the block ends the stream, else `transfer-encoding: chunked`.
    /// A CONNECT without `:scheme` and `:path` (RFC 9113 §8.5) gets its `:authority` as its
    /// target, as HTTP/1's authority form does, and the same answer (400 from
    /// `RequestHeadCheck`, as nginx gives both) rather than a reset stream. `:scheme` must be
    /// `http` or `https`: this server is no gateway to other schemes (RFC 9113 §8.3.1 leaves
    /// it open; nginx 1.22 serves `ftp` as if it were `https`).
    /// - Throws: nio-http2's errors for a missing, repeated or invalid pseudo-header.
    static func requestHead(_ block: HPACKHeaders, endStream: Bool) throws -> HTTPRequestHead {
        var method: String?
        var path: String?
        var scheme: String?
        var authority: String?
        var hasHost = false
        var hasContentLength = false
        var regular: [(String, String)] = []
        regular.reserveCapacity(block.count)
        for (name, value, _) in block {
            guard name.utf8.first == UInt8(ascii: ":") else {
                if name == "host" { hasHost = true } else if name == "content-length" { hasContentLength = true }
                regular.append((name, value))
                continue
            }
            switch name {
            case ":method": try set(&method, name, value)
            case ":path": try set(&path, name, value)
            case ":scheme": try set(&scheme, name, value)
            case ":authority": try set(&authority, name, value)
            default: break
            }
        }
        guard let method else { throw NIOHTTP2Errors.missingPseudoHeader(":method") }
        let httpMethod = HTTPMethod(rawValue: method)
        let target: String
        if httpMethod == .CONNECT, path == nil, scheme == nil {
            target = authority ?? ""
        } else {
            guard let path else { throw NIOHTTP2Errors.missingPseudoHeader(":path") }
            guard let scheme else { throw NIOHTTP2Errors.missingPseudoHeader(":scheme") }
            guard scheme == "https" || scheme == "http" else {
                throw NIOHTTP2Errors.invalidPseudoHeaderValue(name: ":scheme", value: scheme)
            }
            target = path
        }
        var added: [(String, String)] = []
        if !hasHost { added.append(("host", authority ?? "")) }
        switch httpMethod {
        case .GET, .HEAD, .DELETE, .CONNECT, .TRACE:
            // No body expected: no framing made up for one.
            break
        default:
            if !hasContentLength {
                added.append(endStream ? ("content-length", "0") : ("transfer-encoding", "chunked"))
            }
        }
        return HTTPRequestHead(version: .http2, method: httpMethod, uri: target,
                               headers: HTTPHeaders(added.isEmpty ? regular : added + regular))
    }

    /// The regular fields of a trailers block.
    static func trailers(_ block: HPACKHeaders) -> HTTPHeaders {
        var fields: [(String, String)] = []
        for (name, value, _) in block where name.utf8.first != UInt8(ascii: ":") {
            fields.append((name, value))
        }
        return HTTPHeaders(fields)
    }

    /// The HEADERS block of a response head: `:status`, then the fields every protocol's
    /// writer sends (`ResponseHead.forEachField`, which checks a handler's and drops the
    /// connection-managed ones) with their names lower-cased, without HTTP/1's other
    /// hop-by-hop fields (RFC 9113 §8.2.2). Made from the fields in one pass, with no HTTP/1
    /// head in between: every stream's response takes this path. Unlike nio-http2's codec,
    /// the fields a `Connection` value names are not dropped: `Connection` is the server's
    /// own, a handler's is dropped before its value is seen, and the server's names none.
    /// - Throws: `ResponseHead.InvalidHeader` for a handler's header that fails the check.
    static func responseBlock(_ head: ResponseHeadFields) throws(ResponseHead.InvalidHeader) -> HPACKHeaders {
        var block = HPACKHeaders()
        block.reserveCapacity(head.headers.count + 4)
        block.add(name: ":status", value: String(head.status.code))
        try ResponseHead.forEachField(headers: head.headers, date: head.date, server: head.server,
                                      contentLength: head.contentLength, lowercase: true) { name, value in
            let lower = lowercased(name)
            guard !hopByHop.contains(lower) else { return }
            block.add(name: lower, value: value)
        }
        return block
    }

    /// The HEADERS block of an interim response (`100 Continue`).
    static func interimBlock(_ status: HTTPResponseStatus) -> HPACKHeaders {
        [":status": String(status.code)]
    }

    /// HTTP/1's hop-by-hop fields that HTTP/2 has no place for, beside those an HTTP/1
    /// connection sets itself (`ResponseHead.connectionManaged`, dropped before).
    private static let hopByHop = ["keep-alive", "proxy-connection", "upgrade"]

    /// `name` in lower case; the string itself when it is already (the usual case), not a copy.
    static func lowercased(_ name: String) -> String {
        name.utf8.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) ? name.lowercased() : name
    }

    private static func set(_ slot: inout String?, _ name: String, _ value: String) throws {
        guard slot == nil else { throw NIOHTTP2Errors.duplicatePseudoHeader(name) }
        guard !value.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else {
            throw NIOHTTP2Errors.invalidPseudoHeaderValue(name: name, value: value)
        }
        slot = value
    }
}
