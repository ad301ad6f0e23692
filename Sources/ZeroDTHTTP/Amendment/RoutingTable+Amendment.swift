extension RoutingTable {
    /// Freezes `routes` so that the responses for requests no route takes — the 404, and
    /// the redirect of `/docs` to a `/docs/` subtree — are amended by `unrouted` (the
    /// server's headers and error pages) as well.
    ///
    /// Each route's own amendment is already in its handler (``AmendingHandler``). When
    /// `unrouted` is empty this is `init(routes:)`.
    public init(routes: [Route], unrouted: ResponseAmendment) {
        guard !unrouted.isEmpty else {
            self.init(routes: routes)
            return
        }
        var all: [Route] = []
        let paths = Set(routes.map(\.path))
        if !paths.contains("/") {
            all.append(Route(path: "/", handler: AmendingHandler(UnroutedHandler(answer: .notFound), amendment: unrouted)))
        }
        // An exact route in place of each subtree's slash-less path, unless one is configured:
        // `match` tries exact paths first, so it answers where `.redirectToSubtree` would.
        for route in routes where route.path.count > 1 && route.path.hasSuffix("/") {
            let bare = String(route.path.dropLast())
            if !paths.contains(bare) {
                all.append(Route(path: bare, handler: AmendingHandler(UnroutedHandler(answer: .addSlash),
                                                                      amendment: unrouted)))
            }
        }
        self.init(routes: all + routes)
    }
}
