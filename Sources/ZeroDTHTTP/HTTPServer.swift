import Logging
import NIOCore
import NIOHTTP1
import ZeroDT

/// An HTTP/1.1 and HTTP/2 server on SwiftNIO that serves sockets it is handed, stops accepting on
/// request and drains without dropping a request (DESIGN §4).
///
/// The server never binds: it adopts duplicates of `Listener` fds (through `NIOServer`), so
/// that stopping it only stops accepting while the runtime (or a successor) keeps the sockets.
public final class HTTPServer: RestartableServer {
    /// The server's `name`, used in logs and request contexts.
    public let name: String
    private let server: NIOServer

    /// Creates a server for plain-HTTP `listeners`; nothing is accepted until `start()` and
    /// `startAccepting()`.
    /// - Parameters:
    ///   - accessLog: called once per response, on the connection's event loop.
    ///   - logger: where failed accepts and responses a handler got wrong are logged.
    public convenience init(name: String, listeners: [Listener], configuration: HTTPServerConfiguration,
                            routes: RoutingTable, group: any EventLoopGroup,
                            accessLog: (@Sendable (AccessLogEntry) -> Void)? = nil,
                            logger: Logger = Logger(label: "zerodt")) {
        self.init(name: name, endpoints: listeners.map { HTTPEndpoint($0) }, configuration: configuration,
                  routes: routes, group: group, accessLog: accessLog, logger: logger)
    }

    /// Creates a server for `endpoints`, each plain HTTP or HTTPS, that serves `routes` on
    /// those without servers of their own; nothing is accepted until `start()` and
    /// `startAccepting()`.
    /// - Parameters:
    ///   - accessLog: called once per response, on the connection's event loop.
    ///   - logger: where failed accepts and responses a handler got wrong are logged.
    public convenience init(name: String, endpoints: [HTTPEndpoint], configuration: HTTPServerConfiguration,
                            routes: RoutingTable, group: any EventLoopGroup,
                            accessLog: (@Sendable (AccessLogEntry) -> Void)? = nil,
                            logger: Logger = Logger(label: "zerodt")) {
        let own = VirtualHosts(VirtualServer(name: name, routes: routes, accessLog: accessLog))
        self.init(name: name, endpoints: endpoints.map { HTTPEndpoint($0.listener, tls: $0.tls, hosts: $0.hosts ?? own) },
                  configuration: configuration, group: group, logger: logger)
    }

    /// Creates a server for `endpoints`, each plain HTTP or HTTPS and each with the servers
    /// that answer on it (an endpoint without answers 404); nothing is accepted until
    /// `start()` and `startAccepting()`. `configuration` applies to every connection, whichever
    /// server its requests are for.
    /// - Parameter logger: where failed accepts and responses a handler got wrong are logged.
    public init(name: String, endpoints: [HTTPEndpoint], configuration: HTTPServerConfiguration,
                group: any EventLoopGroup, logger: Logger = Logger(label: "zerodt")) {
        self.name = name
        var serverConfiguration = NIOServer.Configuration()
        serverConfiguration.maxConnections = configuration.maxConnections
        serverConfiguration.name = name
        serverConfiguration.logger = logger
        serverConfiguration.shutdownTimeout = configuration.shutdownTimeout
        serverConfiguration.shutdownDelay = configuration.shutdownDelay
        // A client may send its request and shut down its side; it still gets the answer.
        serverConfiguration.allowRemoteHalfClosure = true
        let none = VirtualHosts(VirtualServer(name: name, routes: RoutingTable(routes: [])))
        let pipeline = ConnectionPipeline(configuration: configuration, hosts: endpoints.map { $0.hosts ?? none },
                                          tls: endpoints.map(\.tls), logger: logger)
        self.pipeline = pipeline
        self.group = group
        server = NIOServer(listeners: endpoints.map(\.listener), configuration: serverConfiguration,
                           group: group) { listenerIndex, channel in
            channel.eventLoop.makeCompletedFuture { try pipeline.configure(channel, listenerIndex: listenerIndex) }
        }
    }

    private let pipeline: ConnectionPipeline
    private let group: any EventLoopGroup

    /// The sockets it serves.
    public var listeners: [Listener] { server.listeners }

    /// `HTTPServerConfiguration.shutdownDelay`.
    public var shutdownDelay: Duration { server.shutdownDelay }

    /// The connection limit in force: `configuration.maxConnections`, or the default capped
    /// below the soft limit on open files.
    public var maxConnections: Int { server.maxConnections }

    /// The number of connections open now.
    public var connectionCount: Int { server.connectionCount }

    /// Adopts each listener, without accepting yet.
    public func start() async throws {
        try await server.start()
    }

    /// Lets the listening channels accept; until then clients wait in the backlog.
    public func startAccepting() {
        // Here rather than in `start()`: still before the first connection, as it must be,
        // but off a successor's way to ready (it waits for its turn to accept after that).
        pipeline.warmUp(on: group.next())
        server.startAccepting()
    }

    /// Stops accepting new connections; accepted ones are untouched.
    public func stopAccepting() async {
        await server.stopAccepting()
    }

    /// Accepts again after `stopAccepting()`; connections being drained stay in that drain.
    public func resumeAccepting() async throws {
        try await server.resumeAccepting()
    }

    /// `drain(deadline:)` with the configured `shutdownTimeout` from now.
    public func drain() async {
        await server.drain()
    }

    /// Drains (call `stopAccepting()` first): responses in flight finish with `Connection: close`,
    /// idle keep-alive connections get the drain grace to send one last request, and at
    /// `deadline` whatever is left is closed. Returns once every connection is closed.
    public func drain(deadline: NIODeadline) async {
        await server.drain(deadline: deadline)
    }
}
