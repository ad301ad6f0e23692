#if canImport(Glibc)
import Glibc
#endif
import NIOHTTP1

/// Sends the client to the same host, path and query under another scheme (`redirect:
/// {scheme: https}`): the plain-HTTP listener of a site that is served over HTTPS.
///
/// The host comes from the request's `Host` header, without its port; `port` puts one in
/// (for HTTPS on a port other than 443). A request without a usable `Host` gets 400: the
/// header is the client's, and anything but a host name or IP literal in it could make the
/// `Location` point elsewhere than the client meant.
public struct SchemeRedirectHandler: HTTPHandler {
    private let scheme: String
    private let port: Int?
    private let status: HTTPResponseStatus

    /// Creates a redirect to `scheme` (`https`, say), on `port` when given, with a 3xx `status`.
    public init(scheme: String, port: Int?, status: Int) {
        self.scheme = scheme
        self.port = port
        self.status = HTTPResponseStatus(statusCode: status)
    }

    /// Redirects answer the common methods; others get 405.
    public var allowedMethods: [HTTPMethod]? { RedirectHandler.redirectedMethods }

    /// The redirect, or 400 when the request names no usable host.
    public func respond(to request: HTTPRequest, context: HTTPRequestContext) -> HTTPReply {
        guard let host = request.head.headers.first(name: "host").flatMap(Self.hostName) else {
            return .response(.error(.badRequest))
        }
        var location = "\(scheme)://\(host)"
        if let port { location += ":\(port)" }
        // The path as routing decoded it, encoded again: what reaches `Location` is never a
        // byte the client sent as it was (`"`, `<`), whatever the request's form. The host is
        // the `Host` header's, for an absolute-form target too: the one the client connected for.
        location += RedirectHandler.encodePath(Substring(request.path))
        if let query = request.query { location += "?" + Self.encodeQuery(query) }
        var response = HTTPResponse.error(status)
        response.headers.replaceOrAdd(name: "Location", value: location)
        return .response(response)
    }

    /// The host of a `Host` value without its port: a name of dot-separated labels of letters,
    /// digits, `-` and `_` (not starting with `-`), or a bracketed IPv6 literal; nil for
    /// anything else.
    static func hostName(_ value: String) -> String? {
        var host = Substring(value)
        if host.hasPrefix("[") {
            guard let end = host.firstIndex(of: "]") else { return nil }
            let literal = String(host[host.index(after: host.startIndex)..<end])
            var address = in6_addr()
            guard inet_pton(AF_INET6, literal, &address) == 1 else { return nil }
            let rest = host[host.index(after: end)...]
            guard rest.isEmpty || Self.isPort(rest) else { return nil }
            return String(host[...end])
        }
        if let colon = host.firstIndex(of: ":") {
            guard Self.isPort(host[colon...]) else { return nil }
            host = host[..<colon]
        }
        let labels = (host.hasSuffix(".") ? host.dropLast() : host).split(separator: ".", omittingEmptySubsequences: false)
        guard labels.allSatisfy({ label in
            !label.isEmpty && label.first != "-" && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_".contains($0)) }
        }) else { return nil }
        return String(host)
    }

    /// `query` with every byte that RFC 3986 does not allow in a query percent-encoded;
    /// escapes already there stay as they are.
    static func encodeQuery(_ query: String) -> String {
        PercentEncoding.encode(query) { PercentEncoding.isUnreserved($0) || Self.queryPunctuation.contains($0) }
    }

    /// RFC 3986's sub-delims and `:@/?`, and `%` for escapes already made.
    private static let queryPunctuation = Set("!$&'()*+,;=:@/?%".utf8)

    /// `:` and one to five digits.
    private static func isPort(_ text: Substring) -> Bool {
        let digits = text.dropFirst()
        return text.first == ":" && (1...5).contains(digits.count) && digits.allSatisfy { $0.isASCII && $0.isNumber }
    }
}
