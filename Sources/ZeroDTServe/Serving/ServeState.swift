import Foundation
import NIOConcurrencyHelpers
import ZeroDT
import ZeroDTHTTP

/// Facts about the running generation that handler modules may read: pid, generation,
/// start time, whether it is draining, how the last reload went, its servers and how many
/// requests are being handled. The `status` and `health` modules report them.
///
/// One instance per process, created by the serve command before the servers start and
/// updated by the serving code through the `package` hooks below:
/// - `setServers(_:)` once the servers are built;
/// - `markDraining()` when a stop reaches the generation (not on a restart);
/// - `setAccepting(_:)` when it stops accepting (a hand-over or a stop) and when a failed
///   hand-over has it accept again;
/// - `recordReloadFailed(reason:)` when a successor fails and this generation keeps serving;
/// - `requestStarted()` / `requestFinished()` around each module request.
public final class ServeState: Sendable {
    /// The outcome of a zero-downtime restart.
    public struct ReloadResult: Sendable, Equatable, Codable {
        /// `succeeded` or `failed`.
        public var result: String
        /// The generation that was started.
        public var generation: Int
        /// When the outcome was known.
        public var time: Date
        /// The reason of a failure; empty for a success.
        public var message: String
    }

    /// One listening socket of a server.
    public struct ListenerInfo: Sendable, Equatable, Codable {
        /// The address, as in the config (`127.0.0.1:8080`, `unix:/run/site.sock`).
        public var address: String
        /// The listener's name, if the config gives one.
        public var name: String?
        /// Whether the socket was inherited from a predecessor or systemd rather than bound.
        public var inherited: Bool
    }

    /// One server and its listeners.
    public struct ServerInfo: Sendable, Equatable, Codable {
        /// The server's `name`.
        public var name: String
        /// Its listening sockets.
        public var listeners: [ListenerInfo]
        /// The connections open now.
        public var connections: Int
    }

    private struct Mutable {
        var draining = false
        var accepting = true
        var lastReload: ReloadResult?
        var servers: [HTTPServer] = []
        var inFlight = 0
    }

    /// This process's id.
    public let pid: Int32
    /// 1 at first start, one more for each restart.
    public let generation: Int
    /// When this generation started.
    public let startTime: Date
    private let started: ContinuousClock.Instant
    private let state: NIOLockedValueBox<Mutable>

    /// Creates the state of a generation. A generation above 1 was started by a reload,
    /// which it records as succeeded: it is serving, so its start worked.
    public init(generation: Int, pid: Int32 = getpid(), startTime: Date = Date()) {
        self.pid = pid
        self.generation = generation
        self.startTime = startTime
        self.started = .now
        var initial = Mutable()
        if generation > 1 {
            initial.lastReload = ReloadResult(result: "succeeded", generation: generation, time: startTime, message: "")
        }
        state = NIOLockedValueBox(initial)
    }

    /// How long this generation has been running.
    public var uptime: Duration { .now - started }
    /// Whether a stop has reached this generation: it serves on for `shutdown_delay`, then
    /// drains. A restart does not set it.
    public var isDraining: Bool { state.withLockedValue { $0.draining } }
    /// Whether this generation still accepts connections. Once it has stopped (its successor
    /// serves, or it is stopping), only connections it already had reach it.
    public var isAccepting: Bool { state.withLockedValue { $0.accepting } }
    /// The last reload this generation saw, if any.
    public var lastReload: ReloadResult? { state.withLockedValue { $0.lastReload } }
    /// Module requests whose response is not ready yet, including the caller's own.
    /// (Built-in static, respond and redirect routes answer at once and are never counted.)
    public var inFlightRequests: Int { state.withLockedValue { $0.inFlight } }

    /// The servers with their listeners and open connections, now.
    public var servers: [ServerInfo] {
        state.withLockedValue { $0.servers }.map { server in
            ServerInfo(name: server.name,
                       listeners: server.listeners.map {
                           ListenerInfo(address: "\($0.address)", name: $0.name, inherited: $0.inherited)
                       },
                       connections: server.connectionCount)
        }
    }

    // MARK: - Hooks for the serving code

    /// Records the servers this generation runs.
    package func setServers(_ servers: [HTTPServer]) {
        state.withLockedValue { $0.servers = servers }
    }

    /// Marks the generation stopping; `health` answers 503 from now on.
    package func markDraining() {
        state.withLockedValue { $0.draining = true }
    }

    /// Records whether the generation accepts connections.
    package func setAccepting(_ accepting: Bool) {
        state.withLockedValue { $0.accepting = accepting }
    }

    /// Records that a successor failed to start and this generation keeps serving.
    package func recordReloadFailed(reason: String, at time: Date = Date()) {
        state.withLockedValue {
            $0.lastReload = ReloadResult(result: "failed", generation: generation + 1, time: time, message: reason)
        }
    }

    package func requestStarted() {
        state.withLockedValue { $0.inFlight += 1 }
    }

    package func requestFinished() {
        state.withLockedValue { $0.inFlight -= 1 }
    }
}
