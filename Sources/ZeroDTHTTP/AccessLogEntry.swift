import NIOCore
import NIOHTTP1

/// What the access log records about one request.
public struct AccessLogEntry: Sendable {
    /// The client.
    public var remoteAddress: SocketAddress?
    /// Whether the request came over HTTPS.
    public var isSecure: Bool
    /// The request method.
    public var method: HTTPMethod
    /// The request target as received.
    public var target: String
    /// The protocol version.
    public var version: HTTPVersion
    /// The response status.
    public var status: Int
    /// Body bytes sent.
    public var bytes: Int
    /// From the request head to the response being handed to the socket.
    public var duration: Duration
    /// The pattern of the route that answered, if one matched.
    public var route: String?
    /// The request's headers (shared, not copied): a log format picks what it needs, so a
    /// request costs no header lookup the log does not use.
    public var requestHeaders: HTTPHeaders

    /// The `Referer` header.
    public var referer: String? { requestHeaders.first(name: "referer") }
    /// The `User-Agent` header.
    public var userAgent: String? { requestHeaders.first(name: "user-agent") }

    /// An entry; the server makes them, tests and other servers may too.
    public init(remoteAddress: SocketAddress?, isSecure: Bool, method: HTTPMethod, target: String, version: HTTPVersion,
                status: Int, bytes: Int, duration: Duration, route: String? = nil, requestHeaders: HTTPHeaders = [:]) {
        self.remoteAddress = remoteAddress
        self.isSecure = isSecure
        self.method = method
        self.target = target
        self.version = version
        self.status = status
        self.bytes = bytes
        self.duration = duration
        self.route = route
        self.requestHeaders = requestHeaders
    }
}
