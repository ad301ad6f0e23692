import NIOHTTP1

/// Routes requests by path the way Go's `ServeMux` does: a pattern ending in `/` matches
/// its whole subtree, any other pattern matches exactly, and the longest match wins.
/// Built once, then read concurrently by every connection.
public struct RoutingTable: Sendable {
    /// A pattern and what serves it.
    ///
    /// Its fields live in one shared, immutable object: a route is copied out of the table
    /// for every request, and a copy is then one reference counted instead of one per field
    /// (those copies were about a twentieth of a small response's instructions).
    public struct Route: Sendable {
        private final class Storage: Sendable {
            let path: String
            let handler: any HTTPHandler
            let immediate: (any ImmediateHTTPHandler)?
            let fixedResponse: HTTPResponse?
            let fixedMessage: FixedMessage?
            let allowedMethods: [HTTPMethod]?
            let takesCompactHead: Bool
            let amendment: ResponseAmendment?
            let metrics: RouteMetrics?

            init(path: String, handler: any HTTPHandler, amendment: ResponseAmendment?, metrics: RouteMetrics?) {
                self.path = path
                self.handler = handler
                immediate = handler as? any ImmediateHTTPHandler
                fixedResponse = (handler as? FixedResponseHandler)?.response
                fixedMessage = fixedResponse?.fixedMessage
                allowedMethods = handler.allowedMethods
                takesCompactHead = handler is StaticFileHandler
                self.amendment = amendment
                self.metrics = metrics
            }
        }

        private var storage: Storage

        /// The pattern, starting with `/`.
        public var path: String {
            get { storage.path }
            set { storage = Storage(path: newValue, handler: handler, amendment: amendment, metrics: metrics) }
        }
        /// What answers matching requests.
        public var handler: any HTTPHandler {
            get { storage.handler }
            set { storage = Storage(path: path, handler: newValue, amendment: amendment, metrics: metrics) }
        }
        /// `handler`, when it answers at once (an HTTP/2 request complete in its HEADERS
        /// then needs no stream channel): found once, not per request.
        var immediate: (any ImmediateHTTPHandler)? { storage.immediate }
        /// The response of a `FixedResponseHandler`, which answers every request with it: the
        /// request need not be made for it (found once, not per request).
        var fixedResponse: HTTPResponse? { storage.fixedResponse }
        /// The whole message `fixedResponse` was last sent as, when it keeps one: found once,
        /// not per request.
        var fixedMessage: FixedMessage? { storage.fixedMessage }
        /// `handler.allowedMethods`, asked once: asking per request copied the handler out.
        var allowedMethods: [HTTPMethod]? { storage.allowedMethods }
        /// Whether `handler` reads a request's `head` only where it needs the fields, a few
        /// requests' (`StaticFileHandler`: a conditional or range request's, a directory
        /// listing's; `Accept-Encoding` it reads from the bytes): a head the fast path read then
        /// reaches it unmade, as NIO's form costs a `String` for every name and value. Any
        /// other handler gets the head made, once (``HTTPRequest/head`` makes it at each read).
        var takesCompactHead: Bool { storage.takesCompactHead }
        /// What every response of the route goes through, its 405s and 500s included; nil
        /// when nothing is configured, so that such a route costs nothing extra.
        public var amendment: ResponseAmendment? {
            get { storage.amendment }
            set { storage = Storage(path: path, handler: handler, amendment: newValue, metrics: metrics) }
        }
        /// Where its requests are counted; nil when metrics are off.
        public var metrics: RouteMetrics? {
            get { storage.metrics }
            set { storage = Storage(path: path, handler: handler, amendment: amendment, metrics: newValue) }
        }

        /// Creates a route; an empty `amendment` is none.
        public init(path: String, handler: any HTTPHandler, amendment: ResponseAmendment = .init(),
                    metrics: RouteMetrics? = nil) {
            storage = Storage(path: path, handler: handler, amendment: amendment.isEmpty ? nil : amendment,
                              metrics: metrics)
        }
    }

    /// The outcome of a lookup.
    public enum Match: Sendable {
        /// The route to use, and the part of the path below it.
        case route(Route, remainder: Substring)
        /// The path names a subtree pattern without its trailing slash: redirect there.
        case redirectToSubtree
        /// Nothing matches: 404.
        case notFound
    }

    /// The tables, in one shared, immutable object, as a route's fields are: a request reads
    /// the table through its server, which copied it out, every table and the amendment
    /// counted, for every request (about 250 instructions of a small response's).
    private final class Tables: Sendable {
        /// What a whole path names: the exact route of that path, and whether it is a subtree
        /// pattern without its trailing slash (for the redirect to the subtree). One table, so
        /// that a path is hashed once for both.
        struct Path: Sendable {
            var route: Route?
            var isSubtreeStem = false
        }

        let unrouted: ResponseAmendment?
        let paths: ByteStringTable<Path>
        /// Subtree patterns by their text. A subtree that matches a path ends at one of the
        /// path's slashes, so a lookup tries each of those prefixes, longest first: its cost
        /// grows with the path's depth, not with the number of routes.
        let subtrees: ByteStringTable<Route>
        /// Whether any route counts its requests (metrics).
        let routesCount: Bool

        init(unrouted: ResponseAmendment?, exact: [String: Route], subtrees: [String: Route]) {
            self.unrouted = unrouted
            var paths = exact.mapValues { Path(route: $0) }
            for pattern in subtrees.keys {
                paths[String(pattern.dropLast()), default: Path()].isSubtreeStem = true
            }
            self.paths = ByteStringTable(paths.map { ($0.key, $0.value) })
            self.subtrees = ByteStringTable(subtrees.map { ($0.key, $0.value) })
            routesCount = exact.values.contains { $0.metrics != nil } || subtrees.values.contains { $0.metrics != nil }
        }
    }

    private let tables: Tables

    /// What the responses to requests no route takes go through — the 404, the redirect to a
    /// subtree — and errors found before routing (400, 413, 431): the server's `headers:`
    /// and `error_pages:`. Nil when it has none.
    public var unrouted: ResponseAmendment? { tables.unrouted }
    /// Where requests no route answered are counted, and those of routes without metrics
    /// of their own; nil when metrics are off.
    public var unroutedMetrics: RouteMetrics?
    /// Whether requests are counted anywhere in the table (metrics are on).
    var countsRequests: Bool { unroutedMetrics != nil || tables.routesCount }

    /// Freezes `routes`; a later duplicate path replaces an earlier one. `unrouted` (empty
    /// for none) amends the answers no route gives.
    public init(routes: [Route], unrouted: ResponseAmendment = .init()) {
        var exact: [String: Route] = [:]
        var subtrees: [String: Route] = [:]
        for route in routes {
            if route.path.hasSuffix("/") { subtrees[route.path] = route } else { exact[route.path] = route }
        }
        tables = Tables(unrouted: unrouted.isEmpty ? nil : unrouted, exact: exact, subtrees: subtrees)
    }

    /// Finds the route for a decoded, normalized path.
    public func match(_ path: String) -> Match {
        let tables = tables
        var bytesOfPath = path
        // Over the path's bytes: no `Substring` is made of a prefix to look it up.
        let found: Found = bytesOfPath.withUTF8 { bytes in
            let bytes = UnsafeRawBufferPointer(bytes)
            if let named = tables.paths.value(for: bytes) {
                if let route = named.route { return .route(route, remainderStart: bytes.count) }
                // As in Go: `/docs` goes to `/docs/` when that subtree exists, even if `/` would match.
                if named.isSubtreeStem, bytes.last != UInt8(ascii: "/") { return .redirectToSubtree }
            }
            // Each prefix that ends at a slash, longest first, from the longest subtree pattern
            // on: a long target of many segments must not cost the hash of each of its prefixes.
            var end = min(bytes.count, tables.subtrees.longestKey)
            while end > 0 {
                end -= 1
                guard bytes[end] == UInt8(ascii: "/") else { continue }
                if let route = tables.subtrees.value(for: UnsafeRawBufferPointer(rebasing: bytes[...end])) {
                    return .route(route, remainderStart: end + 1)
                }
            }
            return .notFound
        }
        switch found {
        case .route(let route, let start) where start == path.utf8.count:
            return .route(route, remainder: "")
        case .route(let route, let start):
            // After a `/`: a character boundary.
            return .route(route, remainder: path[path.utf8.index(path.utf8.startIndex, offsetBy: start)...])
        case .redirectToSubtree: return .redirectToSubtree
        case .notFound: return .notFound
        }
    }

    /// What `match` found, by where in the path's bytes the remainder starts.
    private enum Found {
        case route(Route, remainderStart: Int)
        case redirectToSubtree
        case notFound
    }
}
