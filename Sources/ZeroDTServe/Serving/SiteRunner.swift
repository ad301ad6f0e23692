import Foundation
import Logging
import NIOCore
import NIOPosix
import UnixSignals
import ZeroDT
import ZeroDTHTTP

/// Why a config that passed `check` still could not be served.
struct ServeError: Error, CustomStringConvertible {
    var description: String
}

/// Runs every server a config declares in this process until SIGTERM or SIGINT, then
/// drains them (DESIGN §4) and returns.
struct SiteRunner {
    let config: SiteConfig
    let logger: Logger

    /// Binds, serves, waits for a stop signal and drains.
    /// - Throws: `ServeError` when a socket cannot be bound or a server cannot start.
    func run() async throws {
        // A peer that resets mid-sendfile would otherwise kill the process.
        signal(SIGPIPE, SIG_IGN)
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint, .sighup)
        // One thread per core, shared with anything else in the process that uses NIO.
        let group = MultiThreadedEventLoopGroup.singleton

        let listeners = try bindListeners()
        var servers: [(HTTPServer, ServerConfig)] = []
        for server in config.servers {
            let httpServer = try makeServer(server, group: group)
            do {
                try await httpServer.start(listeners: listeners[server.name] ?? [])
            } catch {
                throw ServeError(description: "server '\(server.name)': cannot start: \(error)")
            }
            servers.append((httpServer, server))
        }
        let pidFile = config.pidFile.map(PIDFile.init(path:))
        try pidFile?.write()
        defer { pidFile?.remove() }
        for (_, server) in servers {
            logger.info("serving", metadata: [
                "server": "\(server.name)",
                "listen": "\(server.listen.map { "\($0.address)" }.joined(separator: ","))",
            ])
        }
        let stopRequested = stopRequests(from: signals)
        defer { stopRequested.task.cancel() }
        for await _ in stopRequested.stream { break }
        logger.info("shutting down: draining connections")
        await withTaskGroup(of: Void.self) { tasks in
            for (httpServer, server) in servers {
                let deadline = NIODeadline.now() + TimeAmount(server.timeouts.shutdown)
                tasks.addTask { await httpServer.drain(deadline: deadline) }
            }
        }
        removeUnixSocketFiles()
        logger.info("stopped")
    }

    /// Yields once on the first SIGTERM or SIGINT; a second one exits at once, since an
    /// operator who repeats the signal does not want to wait for the drain.
    private func stopRequests(from signals: UnixSignalsSequence) -> (stream: AsyncStream<Void>, task: Task<Void, Never>) {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self)
        let logger = logger
        let task = Task {
            var stops = 0
            for await signal in signals {
                switch signal {
                case .sigterm, .sigint:
                    stops += 1
                    if stops == 1 {
                        continuation.yield()
                    } else {
                        logger.warning("second stop signal: exiting without finishing the drain")
                        exit(1)
                    }
                default:
                    logger.warning("received \(signal); zero-downtime restart is not implemented in this build yet, ignoring it")
                }
            }
        }
        return (stream, task)
    }

    private func bindListeners() throws -> [String: [Listener]] {
        var bound: [String: [Listener]] = [:]
        for server in config.servers {
            for listener in server.listen {
                do {
                    let socket = try Listener.bind(listener.address, name: listener.name,
                                                   backlog: Int32(listener.backlog), mode: listener.mode)
                    bound[server.name, default: []].append(socket)
                } catch {
                    throw ServeError(description: "server '\(server.name)': cannot listen on \(listener.address): \(error)"
                                     + Self.hint(for: error))
                }
            }
        }
        return bound
    }

    private static func hint(for error: SystemError) -> String {
        switch error.errno {
        case EADDRINUSE: return " (another process is using it; find it with 'ss -ltnp')"
        case EACCES: return " (ports below 1024 need root or CAP_NET_BIND_SERVICE)"
        case EADDRNOTAVAIL: return " (no interface has that address)"
        default: return ""
        }
    }

    private func makeServer(_ server: ServerConfig, group: any EventLoopGroup) throws -> HTTPServer {
        var routes: [RoutingTable.Route] = []
        for route in server.routes {
            do {
                routes.append(RoutingTable.Route(path: route.path, handler: try HandlerFactory.make(route.action)))
            } catch {
                throw ServeError(description: "\(route.location): error: cannot set up route '\(route.path)': \(error)")
            }
        }
        var configuration = HTTPServerConfiguration()
        configuration.readHeaderTimeout = server.timeouts.readHeader
        configuration.idleTimeout = server.timeouts.idle
        configuration.writeTimeout = server.timeouts.write
        configuration.drainGrace = server.timeouts.drainGrace
        configuration.maxHeaderSize = server.limits.maxHeaderSize
        configuration.maxBodySize = server.limits.maxBodySize
        configuration.maxConnections = server.limits.maxConnections
        let accessLog = config.log.access ? AccessLogger(logger: logger, server: server.name).log : nil
        return HTTPServer(name: server.name, configuration: configuration, routes: RoutingTable(routes: routes),
                          group: group, accessLog: accessLog)
    }

    /// With no successor to take them over, socket files would only mislead the next start.
    private func removeUnixSocketFiles() {
        for path in config.listeners.compactMap(\.address.unixPath) {
            unlink(path)
        }
    }
}
