/// Timeouts and limits of one HTTP server.
public struct HTTPServerConfiguration: Sendable, Equatable {
    /// How long a client may take from the first byte of a request to the end of its headers,
    /// and a new connection to its first request's headers (slowloris defence).
    public var readHeaderTimeout: Duration = .seconds(10)
    /// How long a keep-alive connection may sit idle between requests, and a request body
    /// may stall between reads.
    public var idleTimeout: Duration = .seconds(75)
    /// How long a request body may take in all, from the end of the head to the body's last
    /// byte: a body that trickles in (a byte now and then) never stalls long enough for
    /// `idleTimeout`, so this bounds it (slowloris defence for bodies).
    public var readBodyTimeout: Duration = .seconds(60)
    /// How long writing a response may make no progress before the connection is dropped.
    public var writeTimeout: Duration = .seconds(30)
    /// How long an idle keep-alive connection stays open once draining starts.
    public var drainGrace: Duration = .seconds(1)
    /// On a stop (not a restart), how long the server keeps accepting after the stop was
    /// asked for, while health checks already report it draining, so that a load balancer
    /// takes it out of rotation before any connection is refused.
    public var shutdownDelay: Duration = NIOServer.Configuration().shutdownDelay
    /// The drain deadline: how long `drain()` waits before closing what is left.
    public var shutdownTimeout: Duration = NIOServer.Configuration().shutdownTimeout
    /// The most bytes a request line plus headers may take (431 or 414 beyond).
    public var maxHeaderSize: Int = 16 * 1024
    /// The largest request body accepted (413 beyond).
    public var maxBodySize: Int = 1024 * 1024
    /// The most connections open at once; further clients wait in the listen backlog.
    /// Nil: `ConnectionLimit.defaultMaximum`, capped below the soft limit on open files.
    public var maxConnections: Int?
    /// The most streams one HTTP/2 connection may have open at once; a client asks for more
    /// by opening another connection (`SETTINGS_MAX_CONCURRENT_STREAMS`).
    public var maxConcurrentStreams: Int = 100
    /// The `Server` header value, or nil for none.
    public var serverHeader: String? = "zerodt"

    /// The longest a stop can take: the delay, then the drain deadline.
    public var longestStop: Duration { shutdownDelay + shutdownTimeout }

    /// The defaults above.
    public init() {}
}
