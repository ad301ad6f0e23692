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
            throw ServeError(description: "static files are not wired yet (root \(config.root))")
        case .handler(let handler):
            throw ServeError(description: "no handler module named '\(handler.name)'")
        }
    }
}
