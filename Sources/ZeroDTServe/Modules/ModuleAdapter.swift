import Logging
import ZeroDTHTTP

/// Turns a `HandlerModule` into the `HTTPHandler` a route serves: an `AsyncHandler` that
/// runs `handle` in a task of its own, counts it as in flight, and renders the response.
enum ModuleAdapter {
    /// Configures and creates one instance of `module` and wraps it.
    /// - Throws: `ModuleStartError` when the options are invalid (the config changed since
    ///   `check`, or a module reads options differently than it validates them), or the
    ///   error the module's initializer threw.
    static func makeHandler<M: HandlerModule>(_ module: M.Type, options node: ConfigNode?,
                                              setup: ModuleSetup) throws -> AsyncHandler {
        var options = ModuleOptions(module: M.name, node: node)
        let configuration = M.configure(&options)
        let diagnostics = options.finish()
        guard !diagnostics.contains(where: { $0.severity == .error }) else {
            throw ModuleStartError(description: diagnostics.map(\.description).joined(separator: "\n"))
        }
        let instance = try M(configuration: configuration, setup: setup)
        var logger = setup.logger
        logger[metadataKey: "module"] = "\(M.name)"
        logger[metadataKey: "route"] = "\(setup.routePath)"
        let (state, routePath, moduleLogger) = (setup.state, setup.routePath, logger)
        return AsyncHandler(label: "module '\(M.name)'", allowedMethods: M.allowedMethods, logger: logger) {
            request, context in
            state.requestStarted()
            defer { state.requestFinished() }
            let moduleContext = ModuleContext(serverName: context.serverName, routePath: routePath,
                                              remoteAddress: context.remoteAddress, logger: moduleLogger, state: state)
            return try await instance.handle(ModuleRequest(request), context: moduleContext).rendered()
        }
    }
}
