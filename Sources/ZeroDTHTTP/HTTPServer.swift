#if canImport(Glibc)
import Glibc
#endif
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import ZeroDT

/// An HTTP/1.1 server on SwiftNIO that serves sockets it is handed, stops accepting on
/// request and drains without dropping a request (DESIGN §4).
///
/// The server never binds: it adopts duplicates of `Listener` fds, so that closing its
/// channels only stops accepting while the runtime (or a successor) keeps the sockets.
public final class HTTPServer: RestartableServer {
    /// The server's `name`, used in logs and request contexts.
    public let name: String
    /// The sockets it serves.
    public let listeners: [Listener]
    private let configuration: HTTPServerConfiguration
    private let routes: RoutingTable
    private let group: any EventLoopGroup
    private let accessLog: (@Sendable (AccessLogEntry) -> Void)?
    private let tracker: ConnectionTracker
    private let listeningChannels = NIOLockedValueBox<[any Channel]>([])

    /// Creates a server for `listeners`; nothing is accepted until `start()`.
    /// - Parameters:
    ///   - accessLog: called once per response, on the connection's event loop.
    public init(name: String, listeners: [Listener], configuration: HTTPServerConfiguration, routes: RoutingTable,
                group: any EventLoopGroup, accessLog: (@Sendable (AccessLogEntry) -> Void)? = nil) {
        self.name = name
        self.listeners = listeners
        self.configuration = configuration
        self.routes = routes
        self.group = group
        self.accessLog = accessLog
        self.tracker = ConnectionTracker(maxConnections: configuration.maxConnections)
    }

    /// The number of connections open now.
    public var connectionCount: Int { tracker.count }

    /// Lets the listening channels accept; until then clients wait in the backlog.
    public func startAccepting() {
        tracker.startAccepting()
    }

    /// Adopts each listener through a duplicate of its fd, without accepting yet: call
    /// `startAccepting()` for that.
    /// - Throws: `SystemError` or a NIO error when a socket cannot be adopted; listeners
    ///   adopted before the failure stay adopted, so call `stopAccepting()` to undo.
    public func start() async throws {
        for listener in listeners {
            let fd = try listener.duplicate()
            let channel: any Channel
            do {
                channel = try await makeBootstrap().withBoundSocket(fd).get()
            } catch {
                // NIO did not take the fd, so it is still ours to close.
                Glibc.close(fd)
                throw error
            }
            // Adopting resets the backlog to NIO's default; restore the configured one.
            try listener.reapplyBacklog()
            listeningChannels.withLockedValue { $0.append(channel) }
        }
    }

    /// Stops accepting new connections. Connections already accepted are untouched, and
    /// clients queued in the kernel's backlog stay there for whoever else holds the socket.
    public func stopAccepting() async {
        tracker.stopAccepting()
        let channels = listeningChannels.withLockedValue { channels in
            defer { channels.removeAll() }
            return channels
        }
        for channel in channels {
            try? await closeWhenSettled(channel).get()
        }
    }

    /// Closes a listening channel once no connection it accepted is still being set up. The
    /// check runs on the channel's own event loop, where accepting happens, so nothing can
    /// be accepted between the check and the close.
    private func closeWhenSettled(_ channel: any Channel) -> EventLoopFuture<Void> {
        let tracker = tracker
        return channel.eventLoop.flatSubmit {
            if tracker.isSettled { return channel.close() }
            return channel.eventLoop.scheduleTask(in: .milliseconds(1)) {}.futureResult
                .flatMap { self.closeWhenSettled(channel) }
        }
    }

    /// `drain(deadline:)` with the configured `shutdownTimeout` from now.
    public func drain() async {
        await drain(deadline: .now() + TimeAmount(configuration.shutdownTimeout))
    }

    /// Stops accepting, then drains: responses in flight finish with `Connection: close`,
    /// idle keep-alive connections get the drain grace to send one last request, and at
    /// `deadline` whatever is left is closed. Returns once every connection is closed.
    public func drain(deadline: NIODeadline) async {
        await stopAccepting()
        let eventLoop = group.next()
        let drained = tracker.drain(on: eventLoop)
        let forceClose = eventLoop.scheduleTask(deadline: deadline) { [tracker] in tracker.closeAll() }
        try? await drained.get()
        forceClose.cancel()
    }

    private func makeBootstrap() -> ServerBootstrap {
        let configuration = configuration
        let routes = routes
        let name = name
        let accessLog = accessLog
        let tracker = tracker
        return ServerBootstrap(group: group)
            // NIO accepts up to four connections per read, but AcceptGate can only refuse a
            // read, so a burst would overshoot max_connections. One per read is what nginx
            // does by default (multi_accept off).
            .serverChannelOption(.maxMessagesPerRead, value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(AcceptGate(tracker: tracker))
                }
            }
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    var limits = NIOHTTPDecoderLimitConfiguration()
                    limits.maxHeaderFieldSize = configuration.maxHeaderSize
                    limits.maxHeaderListSize = configuration.maxHeaderSize
                    let monitor = RequestLineMonitor()
                    let handlers: [any ChannelHandler] = [
                        monitor,
                        ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes,
                                                                informationalResponseStrategy: .drop,
                                                                limitConfiguration: limits)),
                        HTTPResponseEncoder(),
                        HTTPConnectionHandler(configuration: configuration, routes: routes, serverName: name,
                                              monitor: monitor, accessLog: accessLog, tracker: tracker),
                    ]
                    try channel.pipeline.syncOperations.addHandlers(handlers)
                }
            }
    }
}
