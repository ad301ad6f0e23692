/// The control socket's protocol: one JSON request line, then JSON reply lines. Used by
/// `zerodt-serve reload|stop|status` and by anything else that wants to steer a server.
public enum ControlProtocol {
    /// The listener name the control socket is handed over under.
    public static let listenerName = "zerodt-control"

    /// What a client asks.
    public enum Command: String, Codable, Sendable, CaseIterable {
        /// Restart with zero downtime; the reply comes once the successor is ready or has failed.
        case reload
        /// Drain and stop; the reply comes at once and the connection closes when the process exits.
        case stop
        /// Report the process's state.
        case status
    }

    /// A request line.
    public struct Request: Codable, Sendable, Equatable {
        /// The command.
        public var command: Command

        /// A request for `command`.
        public init(command: Command) {
            self.command = command
        }
    }

    /// A reply line.
    public struct Reply: Codable, Sendable, Equatable {
        /// Whether the command succeeded.
        public var ok: Bool
        /// What happened, for people.
        public var message: String
        /// The serving process after the command: the successor's after a reload.
        public var pid: Int32?
        /// Its generation.
        public var generation: Int?
        /// For `status`.
        public var status: Status?

        /// Creates a reply.
        public init(ok: Bool, message: String, pid: Int32? = nil, generation: Int? = nil, status: Status? = nil) {
            self.ok = ok
            self.message = message
            self.pid = pid
            self.generation = generation
            self.status = status
        }
    }

    /// What `status` reports.
    public struct Status: Codable, Sendable, Equatable {
        /// The serving process.
        public var pid: Int32
        /// Its generation: 1 for a process started by hand or by systemd.
        public var generation: Int
        /// Seconds since the Unix epoch when this generation started.
        public var startedAt: Double
        /// Seconds it has been running.
        public var uptimeSeconds: Double
        /// `serving`, `restarting`, `handing over` or `stopping`.
        public var state: String
        /// Its listening sockets, with their names.
        public var listeners: [String]
        /// The last restart it attempted or came from, if any.
        public var lastReload: ReloadResult?
    }

    /// The outcome of the most recent restart this process attempted.
    public struct ReloadResult: Codable, Sendable, Equatable {
        /// Seconds since the Unix epoch.
        public var at: Double
        /// Whether the restart succeeded.
        public var ok: Bool
        /// What happened, in one line: the new generation, or why it failed (the full
        /// account is in the log and in `reload`'s answer).
        public var message: String
    }
}
