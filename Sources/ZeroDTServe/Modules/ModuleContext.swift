import Logging
import NIOCore

/// What a module instance is told when it is created for a route.
public struct ModuleSetup: Sendable {
    /// The `name` of the server the route belongs to.
    public var serverName: String
    /// The route's `path`.
    public var routePath: String
    /// The process's logger; lines carry the generation and pid.
    public var logger: Logger
    /// Facts about this process and generation.
    public var state: ServeState

    /// Creates a setup, as tests of a module need.
    public init(serverName: String, routePath: String, logger: Logger, state: ServeState) {
        self.serverName = serverName
        self.routePath = routePath
        self.logger = logger
        self.state = state
    }
}

/// What a module knows about the request it is answering, besides the request itself.
public struct ModuleContext: Sendable {
    /// The `name` of the server that accepted the connection.
    public var serverName: String
    /// The route's `path`.
    public var routePath: String
    /// The client's address, when known (nil for unix sockets without a bound peer).
    public var remoteAddress: SocketAddress?
    /// A logger with `server` and `route` metadata set.
    public var logger: Logger
    /// Facts about this process and generation: pid, generation, draining, listeners.
    public var state: ServeState

    /// The generation serving the request: 1 at first start, one more for each restart.
    public var generation: Int { state.generation }

    /// Creates a context, as tests of a module need.
    public init(serverName: String, routePath: String, remoteAddress: SocketAddress? = nil, logger: Logger,
                state: ServeState) {
        self.serverName = serverName
        self.routePath = routePath
        self.remoteAddress = remoteAddress
        self.logger = logger
        self.state = state
    }
}
