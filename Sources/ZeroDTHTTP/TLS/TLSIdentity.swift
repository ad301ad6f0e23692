import NIOSSL

/// A certificate chain and its private key, as an HTTPS listener presents them, with the host
/// names its leaf certificate is valid for: SNI picks an identity by them.
public struct TLSIdentity: Sendable, Hashable {
    /// The chain sent to clients, leaf first.
    public let chain: [NIOSSLCertificate]
    /// The leaf's private key.
    public let key: NIOSSLPrivateKey
    /// The leaf's DNS names (subject alternative names), lower-cased; `*.example.com` is a
    /// wildcard for one label. Empty when it has none: such an identity is only ever the default.
    public let serverNames: [String]

    /// Creates an identity; the server names are read from `leaf`.
    public init(leaf: NIOSSLCertificate, intermediates: [NIOSSLCertificate] = [], key: NIOSSLPrivateKey) {
        chain = [leaf] + intermediates
        self.key = key
        serverNames = Self.dnsNames(of: leaf)
    }

    /// The certificate presented to clients.
    public var leaf: NIOSSLCertificate { chain[0] }

    /// Whether `hostname` (as a client sends it in SNI) is one of `serverNames` exactly.
    func hasExactName(_ hostname: String) -> Bool {
        serverNames.contains(hostname)
    }

    /// Whether a wildcard of `serverNames` covers `hostname`: `*.example.com` covers
    /// `www.example.com`, not `example.com` nor `a.b.example.com` (RFC 6125 §6.4.3).
    func hasWildcardName(covering hostname: String) -> Bool {
        guard let dot = hostname.firstIndex(of: ".") else { return false }
        let parent = hostname[dot...]
        return serverNames.contains { $0.hasPrefix("*.") && $0.dropFirst() == parent }
    }

    /// The DNS subject alternative names of `certificate`, lower-cased. The accessor is
    /// underscored in swift-nio-ssl (its shape may change), but it is the only way to the
    /// names short of a second X.509 parser.
    private static func dnsNames(of certificate: NIOSSLCertificate) -> [String] {
        certificate._subjectAlternativeNames().compactMap { name in
            guard name.nameType == .dnsName else { return nil }
            let text = name.contents.withUnsafeBufferPointer { String(decoding: $0, as: UTF8.self) }
            return text.lowercased()
        }
    }
}
