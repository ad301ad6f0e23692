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
}
