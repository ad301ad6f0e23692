import NIOCore
import NIOHTTP1

/// What a request's response goes under: the server it is for (by its host, or the
/// listener's owner for an error found before the host is known), the route that answers
/// it, the amendment its response goes through and where it is counted. The one place that
/// chooses and routes, for every HTTP/1.1 connection and HTTP/2 stream
/// (`HTTPConnectionHandler`) and for the HTTP/2 streams answered without a stream channel
/// (`HTTP2DirectStreams`); context-free, so both make the same choices.
struct ResponseScope {
    /// How a request is answered, once routed (``dispatch(head:host:body:)``).
    enum Dispatch {
        /// The connection answers it itself: 404, 421, 405, the redirect adding a slash, and
        /// a fixed response (`respond:` routes) that keeps no message (its headers could not
        /// be rendered), which needs no request made for its handler either.
        case answer(HTTPResponse)
        /// A fixed response that keeps its whole message (``RoutingTable/Route/fixedMessage``):
        /// sent as that message where it still fits, else as the route's `fixedResponse`.
        case fixed(RoutingTable.Route)
        /// Its target is not one a request can have: 400, the owner's, and a protocol error
        /// (an HTTP/1.1 connection closes after it).
        case malformed(HTTPResponse)
        /// The route's handler answers `request`.
        case handler(RoutingTable.Route, HTTPRequest)
    }

    /// The servers of the listener, and how a request picks one.
    let hosts: VirtualHosts
    /// The server the current request is for (by its host), or why none is.
    private(set) var choice: VirtualHosts.Choice
    /// The route answering the current request, if routing found one. Its pattern, amendment
    /// and metrics are read from it (and the server's) when needed, not copied here: every
    /// connection keeps its scope while idle, and the copies were 48 of its bytes.
    private var currentRoute: RoutingTable.Route?

    /// The pattern of the route answering the current request, for the access log.
    var route: String? { currentRoute?.path }
    /// What the current request's response goes through: its route's amendment, or its
    /// server's for answers no route gives (none when no server was chosen).
    var amendment: ResponseAmendment? {
        if let currentRoute { return currentRoute.amendment }
        if case .server(let server) = choice { return server.routes.unrouted }
        return nil
    }
    /// Where the current request is counted, when metrics are on.
    var routeMetrics: RouteMetrics? { currentRoute?.metrics ?? server.routes.unroutedMetrics }

    init(hosts: VirtualHosts) {
        self.hosts = hosts
        choice = .server(hosts.fallback)
    }

    /// The server whose name and log the current request's response goes under.
    var server: VirtualServer {
        if case .server(let server) = choice { return server }
        return hosts.fallback
    }

    /// Picks the server for a request for `host` (``RequestHeadCheck/host``) on a connection
    /// whose client asked TLS for `serverName`.
    mutating func choose(host: RequestHostName?, serverName: @autoclosure () -> String?) {
        set(hosts.choose(host: host?.name, serverName: serverName()))
    }

    /// Gives the current answer to the listener's owner, the fallback server: an error found
    /// before the request's host is known, or before it can be trusted.
    mutating func chooseOwner() {
        set(.server(hosts.fallback))
    }

    /// Makes `choice` the current request's and forgets the last request's route.
    private mutating func set(_ choice: VirtualHosts.Choice) {
        self.choice = choice
        currentRoute = nil
    }

    /// Routes a request whose head passed `RequestHeadCheck` (for `host`) to the chosen
    /// server's routes, and takes on the route's amendment and metrics.
    mutating func dispatch(head: borrowing ReceivedHead, host: RequestHostName?, body: ByteBuffer?) -> Dispatch {
        guard let target = RequestTarget(uri: head.uri) else {
            // Asterisk-form (RFC 9112 §3.2.4), which asks about the server, is for `OPTIONS`
            // only; with any other method it is a malformed target.
            guard head.method == .OPTIONS, head.uri == "*" else {
                // Found before routing, like the head's errors.
                chooseOwner()
                return .malformed(.error(.badRequest))
            }
            // The chosen server answers, with its headers, as for a resource of its own.
            guard case .server = choice else { return unserved }
            return .answer(.serverOptions)
        }
        // The server, not a copy of its routes (a struct of several references): they are
        // read where they are.
        let server: VirtualServer
        switch choice {
        case .server(let chosen): server = chosen
        case .noServer, .misdirected: return unserved
        }
        switch server.routes.match(target.path) {
        case .notFound:
            return .answer(.error(.notFound))
        case .redirectToSubtree:
            return .answer(.redirectAddingSlash(uri: head.uri, query: target.query))
        case .route(let route, let remainder):
            currentRoute = route
            if let allowed = route.allowedMethods, !allowed.contains(head.method) {
                return .answer(.methodNotAllowed(allowed: allowed))
            }
            // Not copied out of the route where its message is kept: most requests need only that.
            if route.fixedMessage != nil { return .fixed(route) }
            if let fixed = route.fixedResponse { return .answer(fixed) }
            // A handler that may keep its request (a module's, answering later) gets it
            // detached from the bytes read: NIO's head, and the host's name made, so that the
            // request does not hold the connection's receive buffer.
            let compact = route.takesCompactHead
            return .handler(route, HTTPRequest(received: compact ? copy head : ReceivedHead(head.head), path: target.path,
                                               query: target.query, routeRemainder: remainder, body: body,
                                               host: compact ? host : host?.detached))
        }
    }

    /// The answer to a request whose host chose none of the listener's servers (`choice` is
    /// not `.server`): 404, or 421 for a host the connection's certificate does not cover.
    private var unserved: Dispatch {
        if case .misdirected = choice { return .answer(.error(.misdirectedRequest)) }
        return .answer(.error(.notFound))
    }

    /// What the current response records, when something records it (route metrics, the
    /// server's access log): nil otherwise, as copying what a record holds costs more than
    /// the rest of a small response's bookkeeping.
    func record(remoteAddress: @autoclosure () -> SocketAddress?, isSecure: Bool, requestHead: borrowing ReceivedHead,
                status: Int, duration: Duration) -> ResponseRecord? {
        let server = server
        guard server.recordsResponses else { return nil }
        let accessLog = server.accessLog
        let routeMetrics = routeMetrics
        guard routeMetrics != nil || accessLog != nil else { return nil }
        // NIO's form of a compact head only for the log, which may read any field.
        return ResponseRecord(routeMetrics: routeMetrics, accessLog: accessLog, route: route,
                              remoteAddress: remoteAddress(), isSecure: isSecure, method: requestHead.method,
                              requestHead: accessLog == nil ? nil : requestHead.head, status: status, duration: duration)
    }
}
