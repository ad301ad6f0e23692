import ZeroDT

/// One socket an `HTTPServer` serves, and how: plain HTTP, or HTTPS when it has a TLS context;
/// and which servers answer on it.
public struct HTTPEndpoint: Sendable {
    /// The socket.
    public var listener: Listener
    /// The TLS context of its connections, or nil for plain HTTP.
    public var tls: TLSServerContext?
    /// The servers sharing the socket; nil for the `HTTPServer`'s own routes alone.
    public var hosts: VirtualHosts?

    /// Creates an endpoint.
    public init(_ listener: Listener, tls: TLSServerContext? = nil, hosts: VirtualHosts? = nil) {
        self.listener = listener
        self.tls = tls
        self.hosts = hosts
    }
}
