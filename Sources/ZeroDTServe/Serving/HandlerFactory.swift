import ZeroDTHTTP

/// Turns a route's configured action into the handler that serves it.
enum HandlerFactory {
    /// - Parameter setup: what a `handler:` route's module is created with; nil only where
    ///   no module route can occur.
    static func make(_ action: RouteConfig.Action, setup: ModuleSetup? = nil,
                     modules: ModuleRegistry = ZeroDTServe.modules) throws -> any HTTPHandler {
        switch action {
        case .respond(let respond):
            return FixedResponseHandler(status: respond.status, body: respond.body, contentType: respond.contentType,
                                        headers: respond.headers)
        case .redirect(let redirect):
            switch redirect.target {
            case .url(let url): return RedirectHandler(to: url, status: redirect.status)
            case .scheme(let scheme, let port):
                return SchemeRedirectHandler(scheme: scheme, port: port, status: redirect.status)
            }
        case .staticFiles(let config):
            return try StaticFileHandler(root: config.root, index: config.index, symlinks: config.symlinks,
                                         cacheControl: config.cacheControl, hidden: config.hidden,
                                         fallback: config.fallback, browse: config.browse,
                                         precompressed: config.precompressed)
        case .handler(let handler):
            guard let setup else { throw ServeError(description: "module '\(handler.name)' needs a module setup") }
            return try modules.makeHandler(handler, setup: setup)
        }
    }
}
