import NIOHTTP1

/// Sends the client elsewhere (`redirect:` routes).
///
/// When the target ends in `/` and the route matched a subtree, the rest of the path and
/// the query are appended, so `/old/` → `https://new.example/` moves a whole site. A
/// `Location` that is a path passes `RedirectLocation.guarded`, so that the appended part
/// cannot turn it into another host's address (`/` plus `\evil.example/x`).
public struct RedirectHandler: ImmediateHTTPHandler {
    private let target: String
    private let status: HTTPResponseStatus

    /// Creates a redirect to `target` with a 3xx `status`.
    public init(to target: String, status: Int) {
        self.target = target
        self.status = HTTPResponseStatus(statusCode: status)
    }

    /// Redirects answer the common methods; others get 405.
    public var allowedMethods: [HTTPMethod]? { HTTPMethod.commonMethods }

    /// The redirect, with `Location` built as described above.
    public func respond(to request: HTTPRequest, context: HTTPRequestContext) -> HTTPReply {
        .response(immediateResponse(to: request, context: context))
    }

    func immediateResponse(to request: HTTPRequest, context: HTTPRequestContext) -> HTTPResponse {
        var location = target
        if target.hasSuffix("/") {
            location += Self.rawRemainder(of: request)
            if let query = request.query { location += "?" + query }
        }
        var response = HTTPResponse.error(status)
        response.headers.replaceOrAdd(name: "Location", value: RedirectLocation.guarded(location))
        return response
    }

    /// The undecoded remainder, so that escapes such as `%20` survive the redirect.
    private static func rawRemainder(of request: HTTPRequest) -> Substring {
        guard !request.routeRemainder.isEmpty else { return "" }
        let uri = request.head.uri
        let rawPath = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let count = request.routeRemainder.utf8.count
        // The remainder is decoded; when the raw path has no escapes they are identical.
        if !rawPath.utf8.contains(UInt8(ascii: "%")), rawPath.hasSuffix(request.routeRemainder) {
            return rawPath.suffix(count)
        }
        return Substring(Self.encodePath(request.routeRemainder))
    }

    /// `path` with every byte but unreserved ones and `/` percent-encoded.
    static func encodePath(_ path: Substring) -> String {
        PercentEncoding.encode(path) { PercentEncoding.isUnreserved($0) || $0 == UInt8(ascii: "/") }
    }
}
