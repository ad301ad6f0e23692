import ZeroDTHTTP

/// Turns a route's configured action into the handler that serves it.
enum HandlerFactory {
    static func make(_ action: RouteConfig.Action) throws -> any HTTPHandler {
        switch action {
        case .respond(let respond):
            return FixedResponseHandler(status: respond.status, body: respond.body, contentType: respond.contentType,
                                        headers: respond.headers)
        case .redirect(let redirect):
            return RedirectHandler(to: redirect.to, status: redirect.status)
        case .staticFiles(let config):
            return try StaticFileHandler(root: config.root, index: config.index, symlinks: config.symlinks,
                                         cacheControl: config.cacheControl, hidden: config.hidden)
        case .handler(let handler):
            throw ServeError(description: "no handler module named '\(handler.name)'")
        }
    }
}
