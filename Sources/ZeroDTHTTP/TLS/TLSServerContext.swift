import NIOCore
import NIOSSL

/// What an HTTPS listener presents and accepts.
public struct TLSServerConfiguration: Sendable, Hashable {
    /// The default oldest TLS version accepted.
    public static let defaultMinimumVersion = TLSVersion.tlsv12
    /// The protocols offered by default: HTTP/2 first, HTTP/1.1 for clients without it.
    public static let defaultApplicationProtocols: [ApplicationProtocol] = [.http2, .http1_1]

    /// The certificates, chosen by the name the client asks for (SNI); the first one is the
    /// default, for clients that send no name or a name no certificate has.
    public var identities: [TLSIdentity]
    /// The oldest TLS version accepted.
    public var minimumVersion: TLSVersion = Self.defaultMinimumVersion
    /// The protocols offered in ALPN, by preference. A client that sends no ALPN, or offers
    /// none of them, gets HTTP/1.1.
    public var applicationProtocols: [ApplicationProtocol] = Self.defaultApplicationProtocols

    /// Creates a configuration.
    public init(identities: [TLSIdentity], minimumVersion: TLSVersion = Self.defaultMinimumVersion,
                applicationProtocols: [ApplicationProtocol] = Self.defaultApplicationProtocols) {
        self.identities = identities
        self.minimumVersion = minimumVersion
        self.applicationProtocols = applicationProtocols
    }
}

/// Why a `TLSServerContext` could not be made.
public struct TLSContextError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, in one line.
    public var description: String
}

/// A TLS server context ready to secure connections: built once per listener, when the
/// serving process starts (so that a restart picks up renewed certificate files), and shared
/// by every connection that listener accepts.
///
/// Two contexts are equal when they were built from equal configurations: either serves the
/// same handshakes.
public final class TLSServerContext: Sendable, Equatable {
    /// How long a closing connection waits for the client's `close_notify` after sending its
    /// own. swift-nio-ssl waits 5 s by default; nginx does not wait at all. A client that
    /// ignores the alert keeps its socket (and a slot of `max_connections`) that long, and a
    /// drain waits for it, so the wait is kept short.
    static let closeNotifyWait: TimeAmount = .milliseconds(500)

    /// What it was built from.
    public let configuration: TLSServerConfiguration
    private let context: NIOSSLContext
    /// Whether clients may choose HTTP/2.
    let offersHTTP2: Bool

    /// Builds the context.
    /// - Throws: `TLSContextError` when there is no identity, or when BoringSSL refuses one
    ///   (a key that does not match its certificate, among others).
    public convenience init(_ configuration: TLSServerConfiguration) throws(TLSContextError) {
        try self.init(configuration, checked: [])
    }

    /// A context for `configuration` that builds as few BoringSSL contexts as it can (each
    /// costs a copy of every certificate and key in it): one of `checked` when it was built
    /// from this very configuration (a listener with one certificate, checked when the config
    /// was loaded); else a new one that does not check again the identities that one of
    /// `checked` was built for alone.
    /// - Throws: `TLSContextError`, as `init(_:)` does.
    public static func make(_ configuration: TLSServerConfiguration,
                            reusing checked: [TLSServerContext]) throws(TLSContextError) -> TLSServerContext {
        if let same = checked.first(where: { $0.configuration == configuration }) { return same }
        let alone = checked.compactMap { $0.configuration.identities.count == 1 ? $0.configuration.identities[0] : nil }
        return try TLSServerContext(configuration, checked: Set(alone))
    }

    private init(_ configuration: TLSServerConfiguration, checked: Set<TLSIdentity>) throws(TLSContextError) {
        guard let first = configuration.identities.first else {
            throw TLSContextError(description: "an HTTPS listener needs at least one certificate")
        }
        self.configuration = configuration
        offersHTTP2 = configuration.applicationProtocols.contains(.http2)
        // Each identity on its own first: an identity chosen by SNI is otherwise only
        // installed during a handshake, and a bad one would fail there instead of here.
        for identity in configuration.identities.dropFirst() where !checked.contains(identity) {
            _ = try Self.makeContext(default: identity, identities: [identity], configuration: configuration)
        }
        context = try Self.makeContext(default: first, identities: configuration.identities,
                                       configuration: configuration)
    }

    /// Whether both were built from the same configuration.
    public static func == (lhs: TLSServerContext, rhs: TLSServerContext) -> Bool {
        lhs.configuration == rhs.configuration
    }

    /// A handler that runs the server side of TLS on one connection.
    func makeHandler() -> NIOSSLServerHandler {
        NIOSSLServerHandler(context: context)
    }

    private static func makeContext(default identity: TLSIdentity, identities: [TLSIdentity],
                                    configuration: TLSServerConfiguration) throws(TLSContextError) -> NIOSSLContext {
        var tls = TLSConfiguration.makeServerConfiguration(certificateChain: identity.chain.map { .certificate($0) },
                                                           privateKey: .privateKey(identity.key))
        tls.minimumTLSVersion = configuration.minimumVersion
        tls.applicationProtocols = configuration.applicationProtocols.map(\.identifier)
        tls.shutdownTimeout = closeNotifyWait
        if identities.count > 1 {
            let selector = TLSIdentitySelector(identities: identities)
            tls.sslContextCallback = { values, promise in
                promise.succeed(selector.override(for: values.serverHostname))
            }
        }
        do {
            return try NIOSSLContext(configuration: tls)
        } catch {
            throw TLSContextError(description: "the certificate and key of \(identity.leafDescription) do not work "
                                  + "together: \(error)")
        }
    }
}

extension TLSIdentity {
    /// How messages name the identity: by its first server name, else as the default one.
    var leafDescription: String {
        serverNames.first.map { "'\($0)'" } ?? "the certificate without DNS names"
    }
}
