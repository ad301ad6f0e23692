import Foundation
import Logging
import NIOCore
import NIOPosix
import ZeroDT
import ZeroDTHTTP

/// Why a config that passed `check` still could not be served.
struct ServeError: Error, CustomStringConvertible {
    var description: String
}

/// Runs every server a config declares under the restart runtime: claims the listeners
/// (inherited or new), builds the servers and lets `Runtime` serve, restart and drain.
struct SiteRunner {
    let config: SiteConfig
    let runtime: Runtime
    let logs: LogSinks
    let logger: Logger

    /// Serves until this generation hands over or is stopped.
    /// - Throws: `ServeError` when a socket cannot be bound or a server cannot start.
    func run() async throws -> Runtime.Ending {
        // One thread per core, shared with anything else in the process that uses NIO.
        let group = MultiThreadedEventLoopGroup.singleton
        // Before binding anything: a second instance with this pid file must refuse to start
        // without touching the first one's sockets or pid file.
        do {
            try runtime.lockPIDFile(config.pidFile)
        } catch {
            throw ServeError(description: error.description)
        }
        let state = ServeState(generation: runtime.generation)
        // Before anything records: swift-metrics binds a metric to the backend of the moment.
        let metrics = ServeMetrics.isWanted(by: config) ? ServeMetrics.shared : nil
        // Each server's routes are built once, then served on each socket that has it.
        let virtualServers = try config.servers.map {
            try makeVirtualServer($0, state: state, countsRequests: metrics != nil)
        }
        let sockets = config.sockets
        var servers: [AnnouncedServer] = []
        for (index, server) in config.servers.enumerated() {
            // A socket shared by several servers belongs to the HTTP server of its owner; the
            // others have no socket of their own there.
            let owned = sockets.filter { $0.owner == index }
            let listeners = try claimListeners(owned.map(\.listener), of: server)
            let endpoints = try zip(owned, listeners).map { socket, listener in
                try Self.endpoint(socket.listener, listener: listener,
                                  servers: socket.servers.map { virtualServers[$0] })
            }
            let httpServer = HTTPServer(name: server.name, endpoints: endpoints, configuration: server.http,
                                        group: group, logger: logger)
            servers.append(AnnouncedServer(server: httpServer, config: server, logger: logger))
        }
        state.setServers(servers.map(\.server))
        try checkEverySystemdSocketIsClaimed()
        var options = Runtime.Options()
        options.waitChild = config.restart.waitChild
        options.waitParent = config.restart.waitParent
        options.pidFile = config.pidFile
        options.controlSocket = config.control
        if var handOver = metrics?.handOverState {
            // The totals leave for the successor now: from here on this generation's own
            // figures run ahead of the successor's, so its `metrics` route stops answering
            // at once rather than when `preShutdown` runs, a little later.
            let snapshot = handOver.snapshot
            handOver.snapshot = {
                state.setAccepting(false)
                return snapshot()
            }
            options.handOverState = handOver
        }
        // Only a stop fails health checks, and before `shutdown_delay`, while the servers
        // still accept; a restart is no reason for a load balancer to look elsewhere.
        options.hooks.stopping = { state.markDraining() }
        options.hooks.preShutdown = { state.setAccepting(false) }
        options.hooks.resumed = { state.setAccepting(true) }
        options.hooks.reopenLogs = logs.reopen
        options.hooks.preServe = { [generation = runtime.generation] _ in StartupFault.reached(.adopt, generation: generation) }
        StartupFault.observe(&options, generation: runtime.generation)
        // The one-line summary: the full text (which quotes config lines) stays in the log.
        options.hooks.restartFailed = { state.recordReloadFailed(reason: $0.summary) }
        options.watch = config.watchPaths(executable: runtime.executablePath)
        do {
            return try await runtime.serve(servers, options: options, logger: logger)
        } catch {
            throw ServeError(description: "cannot start serving: \(error)")
        }
    }

    private func claimListeners(_ configs: [ListenerConfig], of server: ServerConfig) throws -> [Listener] {
        try configs.map { listener in
            do throws(SystemError) {
                return try runtime.listeners.claim(listener.address, name: listener.name, alternateName: server.name,
                                                   backlog: Int32(listener.backlog), mode: listener.mode)
            } catch {
                throw ServeError(description: "server '\(server.name)': cannot listen on \(listener.address): \(error)"
                                 + Self.hint(for: error))
            }
        }
    }

    /// A socket systemd passes that no listener claims is a mistake in the config or the
    /// socket unit: refuse to start rather than leave it unanswered. (A later generation may drop
    /// what its predecessor handed on: that is a listener removed from the config.)
    private func checkEverySystemdSocketIsClaimed() throws {
        guard runtime.generation == 1 else { return }
        let control = config.control.map { ListenAddress.unix(path: $0) }
        let stray = runtime.listeners.unclaimed.filter { socket, address in
            // The runtime claims the control socket itself, by its name or path.
            socket.name != ControlProtocol.listenerName
                && !(control.map { control in address.map { $0.isSameSocket(as: control) } ?? false } ?? false)
        }
        guard !stray.isEmpty else { return }
        let descriptions = stray.map { socket, address in
            let bound = address.map { "\($0)" } ?? "an unknown address"
            return socket.name.map { "'\($0)' (fd \(socket.fd), \(bound))" } ?? "fd \(socket.fd) (\(bound), unnamed)"
        }
        let one = stray.count == 1
        throw ServeError(description: "\(config.file): no listener claims the inherited socket\(one ? "" : "s") "
            + descriptions.joined(separator: ", ") + "; give \(one ? "it" : "each") a listener with its name "
            + "(the unit's FileDescriptorName=) as 'name:', or its address, or remove it from the socket unit")
    }

    private static func hint(for error: SystemError) -> String {
        switch error.errno {
        case EADDRINUSE: return " (another process is using it; find it with 'ss -ltnp')"
        case EACCES: return " (ports below 1024 need root or CAP_NET_BIND_SERVICE)"
        case EADDRNOTAVAIL: return " (no interface has that address)"
        default: return ""
        }
    }

    /// The server as the sockets it is served on see it: its routes, each with its headers
    /// and error pages, and its access log.
    /// - Parameter countsRequests: whether requests are counted (metrics are on).
    private func makeVirtualServer(_ server: ServerConfig, state: ServeState, countsRequests: Bool) throws
        -> VirtualServer
    {
        var routes: [RoutingTable.Route] = []
        for route in server.routes {
            do {
                let setup = ModuleSetup(serverName: server.name, routePath: route.path, logger: logger, state: state)
                var handler = try HandlerFactory.make(route.action, setup: setup)
                if let encoding = route.encoding { handler = EncodingHandler(handler, settings: encoding) }
                let amendment = ResponseAmendment(headers: route.headers.merged(over: server.headers),
                                                  errorPages: server.errorPages)
                routes.append(RoutingTable.Route(
                    path: route.path, handler: handler, amendment: amendment,
                    metrics: countsRequests ? RouteMetrics(server: server.name, route: route.path) : nil))
            } catch {
                throw ServeError(description: "\(route.location): error: cannot set up route '\(route.path)': \(error)")
            }
        }
        let accessLog: (@Sendable (AccessLogEntry) -> Void)?
        if let file = logs.access {
            accessLog = { [format = config.log.accessFormat] entry in
                file.write(AccessLogLine.format(entry, server: server.name, as: format))
            }
        } else {
            accessLog = config.log.access
                ? AccessLogger(logger: logger, server: server.name, structured: config.log.format == .json).log : nil
        }
        var table = RoutingTable(routes: routes, unrouted: server.amendment)
        if countsRequests { table.unroutedMetrics = RouteMetrics(server: server.name, route: RouteMetrics.unroutedLabel) }
        return VirtualServer(name: server.name, hosts: server.hosts.map(\.pattern), routes: table, accessLog: accessLog)
    }

    /// A socket with its TLS context, made here, by the process that serves, from the ones the
    /// certificate check built when this generation loaded the config, and the servers on it.
    private static func endpoint(_ config: ListenerConfig, listener: Listener,
                                 servers: [VirtualServer]) throws -> HTTPEndpoint {
        guard let tls = config.tls else { return HTTPEndpoint(listener, hosts: VirtualHosts(servers)) }
        do {
            return HTTPEndpoint(listener, tls: try tls.makeContext(),
                                hosts: VirtualHosts(servers, certificates: tls.server.identities))
        } catch {
            throw ServeError(description: "\(config.location): error: cannot set up TLS: \(error)")
        }
    }
}
