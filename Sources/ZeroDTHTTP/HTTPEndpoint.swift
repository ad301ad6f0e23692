import ZeroDT

/// One socket an `HTTPServer` serves, and how: plain HTTP, or HTTPS when it has a TLS context.
public struct HTTPEndpoint: Sendable {
    /// The socket.
    public var listener: Listener
    /// The TLS context of its connections, or nil for plain HTTP.
    public var tls: TLSServerContext?

    /// Creates an endpoint.
    public init(_ listener: Listener, tls: TLSServerContext? = nil) {
        self.listener = listener
        self.tls = tls
    }
}
