import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle

/// Zero-downtime restarts for any Swift program with NIO servers, in the spirit of Go's
/// zerodt: give it servers, call `run()`, and SIGHUP (or SIGUSR2) starts the binary on disk
/// as a successor that takes over the listening sockets, while SIGTERM or SIGINT drains.
///
/// Not a framework: a server is anything that conforms to `RestartableServer`, built from
/// the `Listener`s the app hands it (ZeroDTHTTP's `HTTPServer` and `NIOServer` do this for
/// HTTP/1.1 and for any NIO pipeline).
///
/// ```swift
/// let app = App(servers: [
///     try App.Server(listen: ["127.0.0.1:8080"]) { listeners in
///         NIOServer(listeners: listeners, group: MultiThreadedEventLoopGroup.singleton) { channel in
///             channel.pipeline.addHandler(MyHandler())
///         }
///     }
/// ])
/// try await app.run()
/// ```
///
/// It is also a swift-service-lifecycle `Service`: in a `ServiceGroup`, a graceful shutdown
/// of the group drains the app.
public final class App: Service, Sendable {
    /// One socket a server listens on.
    public struct Endpoint: Sendable {
        /// Where to listen.
        public var address: ListenAddress
        /// Matches the socket across restarts and systemd's `FileDescriptorName=`.
        public var name: String?
        /// The `listen(2)` backlog.
        public var backlog: Int32
        /// Permission bits of a unix socket file.
        public var mode: UInt32?

        /// Creates an endpoint.
        public init(address: ListenAddress, name: String? = nil, backlog: Int32 = 511, mode: UInt32? = nil) {
            self.address = address
            self.name = name
            self.backlog = backlog
            self.mode = mode
        }
    }

    /// A server and the sockets it serves.
    public struct Server: Sendable {
        /// Builds the server on its listeners, inherited or newly bound.
        public typealias Factory = @Sendable (_ listeners: [Listener]) throws -> any RestartableServer

        /// The sockets, in order; the factory receives their listeners in the same order.
        public var listen: [Endpoint]
        /// Builds the server.
        public var make: Factory

        /// A server on `listen`.
        public init(listen: [Endpoint], make: @escaping Factory) {
            self.listen = listen
            self.make = make
        }

        /// A server on addresses written as in a config: `host:port`, `[v6]:port`, `:port`, `unix:/path`.
        /// - Throws: `ListenAddress.ParseError` for a malformed address.
        public init(listen: [String], make: @escaping Factory) throws {
            self.init(listen: try listen.map { Endpoint(address: try ListenAddress.parse($0)) }, make: make)
        }
    }

    private let servers: [Server]
    private let options: Runtime.Options
    private let logger: Logger
    private let runtime: AsyncRuntime

    /// An app serving `servers`; nothing happens until `run()`.
    /// - Parameters:
    ///   - options: the runtime's options (Go zerodt's `WaitChildTimeout` is `waitChild`,
    ///     `WaitParentShutdownTimeout` is `waitParent`).
    public init(servers: [Server], options: Runtime.Options = Runtime.Options(), logger: Logger = Logger(label: "zerodt")) {
        self.servers = servers
        self.options = options
        self.logger = logger
        self.runtime = AsyncRuntime()
    }

    /// Creates or inherits the listeners, serves, and handles signals until this generation
    /// has handed over to a successor or been stopped, and has drained (zerodt's
    /// `ListenAndServe`). Returns normally in both cases: the process should then exit.
    /// - Throws: when a socket cannot be bound, a server cannot start, or `preServe` fails.
    public func run() async throws {
        _ = try await serve()
    }

    /// `run()`, saying how the generation ended: exit non-zero after `.interrupted` (a second
    /// stop signal cut the drain short), and with the status `.supervised` carries when this
    /// process was the supervisor (`Runtime.Options.supervise`). The library never exits
    /// the process itself.
    /// - Throws: when a socket cannot be bound, a server cannot start, or `preServe` fails.
    public func serve() async throws -> Runtime.Ending {
        let runtime = await Runtime.bootstrap()
        self.runtime.set(runtime)
        if runtime.shouldSupervise(options.supervise) {
            return .supervised(exitStatus: await withGracefulShutdownHandler {
                await runtime.supervise(logger: logger)
            } onGracefulShutdown: {
                runtime.requestStop()
            })
        }
        do {
            // Before binding: a second instance with this pid file must not touch a socket.
            try runtime.lockPIDFile(options.pidFile)
            let built = try servers.map { server in
                let listeners = try server.listen.map { endpoint in
                    try runtime.listeners.claim(endpoint.address, name: endpoint.name, backlog: endpoint.backlog,
                                                mode: endpoint.mode)
                }
                return try server.make(listeners)
            }
            return try await withGracefulShutdownHandler {
                try await runtime.serve(built, options: options, logger: logger)
            } onGracefulShutdown: {
                runtime.requestStop()
            }
        } catch {
            // A successor that cannot start tells its predecessor why, which logs it.
            await runtime.fail(SuccessorFailure(summary: "\(error)"))
            throw error
        }
    }

    /// Drains and stops, as SIGTERM does (zerodt's `Shutdown`). `run()` returns once done.
    public func shutdown() {
        runtime.requestStop()
    }
}

/// The runtime `run()` bootstraps, for `shutdown()` to reach; a stop asked for before it
/// exists is passed on when it does.
private final class AsyncRuntime: Sendable {
    private let state = NIOLockedValueBox<(runtime: Runtime?, stopEarly: Bool)>((nil, false))

    func set(_ runtime: Runtime) {
        let stop = state.withLockedValue { state in
            state.runtime = runtime
            return state.stopEarly
        }
        if stop { runtime.requestStop() }
    }

    func requestStop() {
        let runtime = state.withLockedValue { state in
            if state.runtime == nil { state.stopEarly = true }
            return state.runtime
        }
        runtime?.requestStop()
    }
}
