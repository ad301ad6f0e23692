import NIOHTTP1

/// Sends the client to the same host, path and query under another scheme (`redirect:
/// {scheme: https}`): the plain-HTTP listener of a site that is served over HTTPS.
///
/// The host is the one the request's server was chosen by (``HTTPRequest/host``: an
/// absolute-form target's authority, else `Host`), validated and without its port; `port`
/// puts one in (for HTTPS on a port other than 443). A request that names no host gets 400.
public struct SchemeRedirectHandler: ImmediateHTTPHandler {
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
    public var allowedMethods: [HTTPMethod]? { HTTPMethod.commonMethods }

    /// The redirect, or 400 when the request names no usable host.
    public func respond(to request: HTTPRequest, context: HTTPRequestContext) -> HTTPReply {
        .response(immediateResponse(to: request, context: context))
    }

    func immediateResponse(to request: HTTPRequest, context: HTTPRequestContext) -> HTTPResponse {
        guard let host = request.host else {
            return .error(.badRequest)
        }
        var location = "\(scheme)://\(host)"
        if let port { location += ":\(port)" }
        // The path as routing decoded it, encoded again: what reaches `Location` is never a
        // byte the client sent as it was (`"`, `<`), whatever the request's form.
        location += RedirectHandler.encodePath(Substring(request.path))
        if let query = request.query { location += "?" + Self.encodeQuery(query) }
        var response = HTTPResponse.error(status)
        response.headers.replaceOrAdd(name: "Location", value: location)
        return response
    }

    /// `query` with every byte that RFC 3986 does not allow in a query percent-encoded;
    /// escapes already there stay as they are.
    static func encodeQuery(_ query: String) -> String {
        PercentEncoding.encode(query) { PercentEncoding.isUnreserved($0) || Self.queryPunctuation.contains($0) }
    }

    /// RFC 3986's sub-delims and `:@/?`, and `%` for escapes already made.
    private static let queryPunctuation = Set("!$&'()*+,;=:@/?%".utf8)
}
