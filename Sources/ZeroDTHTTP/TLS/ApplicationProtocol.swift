/// A protocol an HTTPS listener offers in the TLS handshake (ALPN, RFC 7301).
public struct ApplicationProtocol: Sendable, Hashable, CustomStringConvertible {
    private enum Wrapped: String, CaseIterable {
        case http2 = "h2"
        case http1_1 = "http/1.1"
    }

    private let wrapped: Wrapped

    private init(_ wrapped: Wrapped) {
        self.wrapped = wrapped
    }

    /// HTTP/2 over TLS, `h2`.
    public static let http2 = ApplicationProtocol(.http2)
    /// HTTP/1.1, `http/1.1`.
    public static let http1_1 = ApplicationProtocol(.http1_1)

    /// Every protocol the server can speak, by preference.
    public static let all: [ApplicationProtocol] = Wrapped.allCases.map(ApplicationProtocol.init)

    /// The protocol named `identifier` in ALPN, or nil for one the server cannot speak.
    public init?(identifier: String) {
        guard let wrapped = Wrapped(rawValue: identifier) else { return nil }
        self.wrapped = wrapped
    }

    /// Its ALPN identifier: `h2` or `http/1.1`.
    public var identifier: String { wrapped.rawValue }

    /// The ALPN identifier.
    public var description: String { identifier }
}
