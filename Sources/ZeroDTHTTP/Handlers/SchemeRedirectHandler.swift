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
        let uri = request.head.uri
        if uri.hasPrefix("/") {
            location += uri
        } else {
            // Absolute-form (`GET http://host/path`): its path, as routing decoded it.
            location += RedirectHandler.encodePath(Substring(request.path))
            if let query = request.query { location += "?" + query }
        }
        var response = HTTPResponse.error(status)
        response.headers.replaceOrAdd(name: "Location", value: location)
        return .response(response)
    }

    /// The host of a `Host` value without its port: a name of letters, digits, `-`, `.` and `_`,
    /// or a bracketed IPv6 literal; nil for anything else.
    static func hostName(_ value: String) -> String? {
        var host = Substring(value)
        if host.hasPrefix("[") {
            guard let end = host.firstIndex(of: "]") else { return nil }
            let literal = host[host.index(after: host.startIndex)..<end]
            guard !literal.isEmpty, literal.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return nil }
            let rest = host[host.index(after: end)...]
            guard rest.isEmpty || Self.isPort(rest) else { return nil }
            return String(host[...end])
        }
        if let colon = host.firstIndex(of: ":") {
            guard Self.isPort(host[colon...]) else { return nil }
            host = host[..<colon]
        }
        guard !host.isEmpty, host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-._".contains($0)) })
        else { return nil }
        return String(host)
    }

    /// `:` and one to five digits.
    private static func isPort(_ text: Substring) -> Bool {
        let digits = text.dropFirst()
        return text.first == ":" && (1...5).contains(digits.count) && digits.allSatisfy { $0.isASCII && $0.isNumber }
    }
}
