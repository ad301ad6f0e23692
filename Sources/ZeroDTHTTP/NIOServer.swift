#if canImport(Glibc)
import Glibc
#endif
import CoreMetrics
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ZeroDT

/// Any SwiftNIO server pipeline, made restartable: it adopts the runtime's `Listener`s,
/// accepts only when told, stops accepting without resetting a connection, and drains by
/// sending every connection NIO's `ChannelShouldQuiesceEvent` and waiting for it to close.
///
/// Bring your own `ServerBootstrap`-style child pipeline: the initializer is called for each
/// accepted connection, on its event loop. Handlers that support graceful shutdown react
/// to `ChannelShouldQuiesceEvent` (finish what is in flight, then close); at the drain
/// deadline whatever is still open is closed.
public final class NIOServer: RestartableServer {
    /// Limits and the drain deadline.
    public struct Configuration: Sendable {
        /// The most connections open at once; further clients wait in the listen backlog.
        /// Nil: `ConnectionLimit.defaultMaximum`, capped below the soft limit on open files
        /// (see `ConnectionLimit.resolve`).
        public var maxConnections: Int?
        /// Names the server in log lines.
        public var name = "server"
        /// Where failed accepts are logged (at most one line per 10 s).
        public var logger = Logger(label: "zerodt")
        /// How long `drain()` waits before closing what is left.
        public var shutdownTimeout: Duration = .seconds(30)
        /// `RestartableServer.shutdownDelay`.
        public var shutdownDelay: Duration = .zero
        /// Whether a client that shuts down its sending side keeps the connection open for the
        /// answer (handlers then see `ChannelEvent.inputClosed`).
        public var allowRemoteHalfClosure = false

        /// The defaults.
        public init() {}
    }

    /// The configured `shutdownDelay`.
    public var shutdownDelay: Duration { configuration.shutdownDelay }

    /// Sets up the pipeline of one accepted connection.
    public typealias ChildChannelInitializer = @Sendable (any Channel) -> EventLoopFuture<Void>

    /// Sets up the pipeline of one accepted connection, knowing which of `listeners` (by index)
    /// accepted it: listeners of one server may differ in protocol (plain HTTP beside HTTPS).
    public typealias ListenerChildChannelInitializer = @Sendable (_ listenerIndex: Int, _ channel: any Channel)
        -> EventLoopFuture<Void>

    /// The sockets it serves.
    public let listeners: [Listener]
    /// The connection limit in force: the configured one, or the default capped below the
    /// soft limit on open files.
    public let maxConnections: Int
    private let configuration: Configuration
    private let group: any EventLoopGroup
    private let childChannelInitializer: ListenerChildChannelInitializer
    private let tracker: ConnectionTracker
    private let listeningChannels = NIOLockedValueBox<[any Channel]>([])

    /// Creates a server for `listeners`; nothing is accepted until `start()` and
    /// `startAccepting()`.
    public convenience init(listeners: [Listener], configuration: Configuration = Configuration(),
                            group: any EventLoopGroup, childChannelInitializer: @escaping ChildChannelInitializer) {
        self.init(listeners: listeners, configuration: configuration, group: group) { _, channel in
            childChannelInitializer(channel)
        }
    }

    /// Creates a server for `listeners` whose connections are set up according to the listener
    /// that accepted them; nothing is accepted until `start()` and `startAccepting()`.
    public init(listeners: [Listener], configuration: Configuration = Configuration(), group: any EventLoopGroup,
                listenerChildChannelInitializer childChannelInitializer: @escaping ListenerChildChannelInitializer) {
        self.listeners = listeners
        self.configuration = configuration
        self.group = group
        self.childChannelInitializer = childChannelInitializer
        self.maxConnections = ConnectionLimit.resolve(configuration.maxConnections,
                                                      softFileLimit: ConnectionLimit.softFileLimit())
        self.tracker = ConnectionTracker(maxConnections: maxConnections)
    }

    /// The number of connections open now.
    public var connectionCount: Int { tracker.count }

    /// Adopts each listener through a duplicate of its fd, without accepting yet.
    /// - Throws: `SystemError` or a NIO error when a socket cannot be adopted; the listeners
    ///   that were adopted stay adopted, so call `stopAccepting()` to undo.
    public func start() async throws {
        // Every adoption is asked for before any is waited on: the event loops register them
        // in one go rather than one round trip per listener, which a successor with hundreds
        // of listeners would make on its way to ready.
        var adoptions: [(listener: Listener, fd: Int32, channel: EventLoopFuture<any Channel>)] = []
        var failure: (any Error)?
        for (index, listener) in listeners.enumerated() {
            do {
                let fd = try listener.duplicate()
                adoptions.append((listener, fd, makeBootstrap(listenerIndex: index).withBoundSocket(fd)))
            } catch {
                failure = error
                break
            }
        }
        for adoption in adoptions {
            let channel: any Channel
            do {
                channel = try await adoption.channel.get()
            } catch {
                // NIO did not take the fd, so it is still ours to close.
                Glibc.close(adoption.fd)
                failure = failure ?? error
                continue
            }
            // Recorded before anything else can fail, so that `stopAccepting()` closes it.
            listeningChannels.withLockedValue { $0.append(channel) }
            do {
                // Adopting resets the backlog to NIO's default; restore the configured one.
                try adoption.listener.reapplyBacklog()
            } catch {
                failure = failure ?? error
            }
        }
        if let failure { throw failure }
    }

    /// Lets the listening channels accept; until then clients wait in the backlog.
    public func startAccepting() {
        tracker.startAccepting()
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

    /// Adopts the listeners again and accepts; connections being drained stay in that drain.
    public func resumeAccepting() async throws {
        // First, so that the new listening channels' first read is let through.
        tracker.resumeAccepting()
        try await start()
    }

    /// `drain(deadline:)` with the configured `shutdownTimeout` from now.
    public func drain() async {
        await drain(deadline: .now() + TimeAmount(configuration.shutdownTimeout))
    }

    /// Tells every connection to quiesce, and at `deadline` (or when the calling task is
    /// cancelled) closes whatever is left. Returns once every connection it drains is closed.
    /// Call `stopAccepting()` first: a drain leaves accepting as it is, so that a server that
    /// resumed accepting meanwhile (`resumeAccepting()`) goes on.
    public func drain(deadline: NIODeadline) async {
        let eventLoop = group.next()
        let drained = tracker.drain(on: eventLoop)
        let forcedCloses = Counter(label: RouteMetrics.drainForcedCloses)
        let forceClose = eventLoop.scheduleTask(deadline: deadline) { [tracker] in
            forcedCloses.increment(by: tracker.closeDraining())
        }
        await withTaskCancellationHandler {
            try? await drained.get()
        } onCancel: { [tracker] in
            forcedCloses.increment(by: tracker.closeDraining())
        }
        forceClose.cancel()
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

    /// Each connection keeps the buffer of its first read for its lifetime, idle or not (NIO
    /// pools it per channel). NIO's own sizing starts it at 2 KiB and grows it to the largest
    /// read it was reused for, never shrinking it; `ReceiveBufferSizing` keeps it at 128
    /// bytes and gives longer reads buffers of their own, freed once read.
    static let receiveBuffers = ReceiveBufferSizing()

    private func makeBootstrap(listenerIndex: Int) -> ServerBootstrap {
        let tracker = tracker
        let childChannelInitializer = childChannelInitializer
        let configuration = configuration
        return ServerBootstrap(group: group)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let reporter = AcceptErrorReporter(logger: configuration.logger, serverName: configuration.name)
                    try channel.pipeline.syncOperations.addHandler(AcceptGate(tracker: tracker, errors: reporter))
                }
            }
            // One connection per read, as nginx does by default: with NIO's usual four, a
            // burst of clients could slip past `max_connections`. epoll is level-triggered,
            // so clients still waiting in the backlog are picked up on the next read.
            .serverChannelOption(.maxMessagesPerRead, value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: configuration.allowRemoteHalfClosure)
            .childChannelOption(.recvAllocator, value: Self.receiveBuffers)
            // One read per turn of the loop: NIO keeps a receive buffer for each read it may
            // make in a turn (4 by default) that found the one before still held, and keeps
            // them for good. A request head longer than the buffer was read twice in a turn
            // while the monitor held its start, and the connection then kept both buffers
            // while idle (700-byte heads: 4.54 KiB a connection, 3.3 for short ones). With
            // one, it keeps only the first, which `ReceiveBufferSizing` relies on.
            // epoll is level-triggered: what is left is read on the next turn.
            .childChannelOption(.maxMessagesPerRead, value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ActivationReporter(tracker: tracker))
                }.flatMap { childChannelInitializer(listenerIndex, channel) }
            }
    }
}
