import NIOCore
import NIOHTTP1

/// A request as a handler sees it: the head, the decoded path it was routed by, and the
/// body, which has been read in full and is within the server's `max_body_size`.
public struct HTTPRequest: Sendable {
    /// Method, target, version and headers as received.
    ///
    /// A head the server's fast path read for a built-in handler is kept as its bytes, and
    /// made into NIO's form at each read of this: read it once where it is read at all.
    public var head: HTTPRequestHead {
        get { received.head }
        set { received = ReceivedHead(newValue) }
    }
    private var received: ReceivedHead
    /// The percent-decoded path with dot segments resolved; always starts with `/`.
    public var path: String
    /// The query string after `?`, still encoded; nil when the target has none.
    public var query: String?
    /// The part of `path` below the matched route: for route `/assets/` and path
    /// `/assets/css/a.css` it is `css/a.css`; empty for an exact match.
    public var routeRemainder: Substring
    /// The request body, if one was sent.
    public var body: ByteBuffer?
    /// The host the request is for, the one its server was chosen by: from an absolute-form
    /// target's authority, else from `Host` (HTTP/2's `:authority`); ASCII, lower-cased,
    /// without the port or a trailing dot, an IPv6 literal in brackets. Validated (RFC 3986
    /// `host`), so it is safe to put in a URL; nil when the request names none.
    ///
    /// For a request the server's fast path read, made from the head's bytes at each read:
    /// read it once where it is read at all.
    public var host: String? {
        get { hostName?.name }
        set { hostName = newValue.map(RequestHostName.init) }
    }
    private var hostName: RequestHostName?

    /// Creates a request.
    public init(head: HTTPRequestHead, path: String, query: String?, routeRemainder: Substring = "",
                body: ByteBuffer? = nil, host: String? = nil) {
        self.init(received: ReceivedHead(head), path: path, query: query, routeRemainder: routeRemainder, body: body,
                  host: host.map(RequestHostName.init))
    }

    init(received: ReceivedHead, path: String, query: String?, routeRemainder: Substring, body: ByteBuffer?,
         host: RequestHostName?) {
        self.received = received
        self.path = path
        self.query = query
        self.routeRemainder = routeRemainder
        self.body = body
        hostName = host
    }

    /// The request method.
    public var method: HTTPMethod { received.method }

    /// The target as received (`head.uri`), without making the head.
    var uri: String { received.uri }

    /// Calls `body` with the value of each field named `lowercaseName` (in any case), in
    /// order, without making the head.
    func forEachValue(ofFieldNamed lowercaseName: StaticString, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        received.forEachValue(ofFieldNamed: lowercaseName, body)
    }

    /// Whether a field may be a precondition or `Range`
    /// (`StaticFileHandler.mayHoldPreconditionOrRange`), without making the head.
    var mayHoldPreconditionOrRange: Bool { received.mayHoldPreconditionOrRange }
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
