import NIOSSL
import ZeroDTHTTP

/// `tls:` on a listener: it serves HTTPS with these certificates, read and checked when the
/// config is loaded (so by every generation at its start, which is how a reload renews them).
public struct TLSConfig: Sendable, Equatable {
    /// One `cert`/`key` pair, loaded.
    public struct Certificate: Sendable, Equatable {
        /// The chain's file, absolute.
        public var certFile: String
        /// The key's file, absolute.
        public var keyFile: String
        /// The chain and key read from them.
        public var identity: TLSIdentity
        /// The context the certificate check built for this identity alone, with its
        /// listener's settings: proof that BoringSSL takes it, and the serving context itself
        /// when it is the listener's only certificate (see `makeContext()`).
        public var context: TLSServerContext
        /// Where the `cert` value is.
        public var certLocation: SourceLocation
        /// Where the `key` value is.
        public var keyLocation: SourceLocation
    }

    /// `min_version:` values.
    public enum MinimumVersion: String, Sendable, CaseIterable {
        case tls1_2 = "1.2"
        case tls1_3 = "1.3"

        /// The TLS library's version.
        var version: TLSVersion {
            switch self {
            case .tls1_2: return .tlsv12
            case .tls1_3: return .tlsv13
            }
        }
    }

    /// The certificates; the first is the default when SNI names none of the others.
    public var certificates: [Certificate]
    /// The oldest TLS version accepted; nil for the HTTP server's default.
    public var minimumVersion: MinimumVersion?
    /// `alpn:`, the protocols offered in the handshake by preference; nil for the HTTP
    /// server's default (`TLSServerConfiguration.defaultApplicationProtocols`).
    public var applicationProtocols: [ApplicationProtocol]?

    /// The HTTP server's own configuration for this listener.
    public var server: TLSServerConfiguration {
        Self.server(identities: certificates.map(\.identity), minimumVersion: minimumVersion,
                    applicationProtocols: applicationProtocols)
    }

    /// The HTTP server's configuration for `identities` with these settings (nil: its default).
    static func server(identities: [TLSIdentity], minimumVersion: MinimumVersion?,
                       applicationProtocols: [ApplicationProtocol]?) -> TLSServerConfiguration {
        var server = TLSServerConfiguration(identities: identities)
        if let minimumVersion { server.minimumVersion = minimumVersion.version }
        if let applicationProtocols { server.applicationProtocols = applicationProtocols }
        return server
    }

    /// The context to serve with, built by the process that serves. BoringSSL has already
    /// taken each certificate when the config was loaded: a listener with one certificate
    /// serves with the context built then, and one with several builds only the context
    /// that holds them all.
    /// - Throws: `TLSContextError` when BoringSSL refuses it.
    public func makeContext() throws(TLSContextError) -> TLSServerContext {
        try TLSServerContext.make(server, reusing: certificates.map(\.context))
    }
}
