import NIOCore
import NIOHTTP1

/// A request as a handler sees it: the head, the decoded path it was routed by, and the
/// body, which has been read in full and is within the server's `max_body_size`.
public struct HTTPRequest: Sendable {
    /// Method, target, version and headers as received.
    public var head: HTTPRequestHead
    /// The percent-decoded path with dot segments resolved; always starts with `/`.
    public var path: String
    /// The query string after `?`, still encoded; nil when the target has none.
    public var query: String?
    /// The part of `path` below the matched route: for route `/assets/` and path
    /// `/assets/css/a.css` it is `css/a.css`; empty for an exact match.
    public var routeRemainder: Substring
    /// The request body, if one was sent.
    public var body: ByteBuffer?

    /// Creates a request.
    public init(head: HTTPRequestHead, path: String, query: String?, routeRemainder: Substring = "",
                body: ByteBuffer? = nil) {
        self.head = head
        self.path = path
        self.query = query
        self.routeRemainder = routeRemainder
        self.body = body
    }

    /// The request method.
    public var method: HTTPMethod { head.method }
}

/// What a handler knows about where a request came from.
public struct HTTPRequestContext: Sendable {
    /// The event loop the connection runs on; futures a handler returns must complete on it
    /// or be hopped to it by the caller.
    public var eventLoop: any EventLoop
    /// The `name` of the server that accepted the connection.
    public var serverName: String
    /// The client's address, when known.
    public var remoteAddress: SocketAddress?

    /// Creates a context.
    public init(eventLoop: any EventLoop, serverName: String, remoteAddress: SocketAddress?) {
        self.eventLoop = eventLoop
        self.serverName = serverName
        self.remoteAddress = remoteAddress
    }
}
