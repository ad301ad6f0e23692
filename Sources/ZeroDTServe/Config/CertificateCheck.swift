#if canImport(Glibc)
import Glibc
#endif
import NIOSSL
import ZeroDT
import ZeroDTHTTP

/// Loads the certificates and keys of a `tls:` mapping and finds what would fail or soon fail
/// in a handshake: unreadable files, bad PEM, a key that is not the certificate's, a
/// certificate outside its validity period (or close to its end), one server name on two
/// certificates of a listener. Each problem points at the `cert` or `key` value to fix.
struct CertificateCheck {
    /// A certificate expiring within this many seconds gets a warning.
    static let expiryWarning: time_t = 14 * 24 * 3600
    /// Certificate and key files are a few kilobytes; anything this large is a wrong path.
    static let maximumFileSize = 1024 * 1024

    /// One `cert`/`key` pair as the config names it.
    struct Pair: Equatable {
        var certFile: String
        var keyFile: String
        var certLocation: SourceLocation
        var keyLocation: SourceLocation
    }

    /// Seconds since the epoch that validity is judged at.
    var now: time_t = time(nil)
    /// Builds a context as serving will (a seam: tests make it refuse some settings).
    var makeContext: (TLSServerConfiguration) throws(TLSContextError) -> TLSServerContext = {
        configuration throws(TLSContextError) in try TLSServerContext(configuration)
    }
    private var bag = DiagnosticBag()

    var diagnostics: [Diagnostic] { bag.diagnostics }
    var hasErrors: Bool { bag.hasErrors }

    /// The pair's chain and key, checked; nil (after errors) when they cannot serve.
    /// - Parameter settings: the listener's TLS settings (its identities do not matter): the
    ///   context that checks the pair is built with them, so that serving can reuse it.
    mutating func load(_ pair: Pair, settings: TLSServerConfiguration) -> TLSConfig.Certificate? {
        let chain = readChain(pair)
        let key = readKey(pair)
        guard let chain, let key else { return nil }
        let identity = TLSIdentity(leaf: chain[0], intermediates: Array(chain.dropFirst()), key: key)
        var alone = settings
        alone.identities = [identity]
        let context: TLSServerContext
        do {
            context = try makeContext(alone)
        } catch {
            if serves(leaf: chain[0], key: key) {
                // The pair works on its own: it is the listener's settings that BoringSSL refused.
                bag.error("the certificate in '\(pair.certFile)' cannot be served with this listener's TLS settings: "
                          + error.description, at: pair.certLocation)
            } else if let index = chain.indices.dropFirst().first(where: { serves(leaf: chain[$0], key: key) }) {
                // A chain in the wrong order is the common slip: say so when a later one is the key's.
                bag.error("the key in '\(pair.keyFile)' belongs to certificate \(index + 1) of the chain in "
                          + "'\(pair.certFile)'; put that certificate (the leaf) first", at: pair.certLocation)
            } else {
                bag.error("the key in '\(pair.keyFile)' does not belong to the certificate in '\(pair.certFile)'",
                          at: pair.keyLocation)
            }
            return nil
        }
        guard checkValidity(of: chain, pair: pair) else { return nil }
        return TLSConfig.Certificate(certFile: pair.certFile, keyFile: pair.keyFile, identity: identity,
                                     context: context, certLocation: pair.certLocation, keyLocation: pair.keyLocation)
    }

    /// Whether a handshake can be made with `leaf` and `key` under the default settings:
    /// BoringSSL refuses a key that is not the certificate's.
    private func serves(leaf: NIOSSLCertificate, key: NIOSSLPrivateKey) -> Bool {
        let identity = TLSIdentity(leaf: leaf, intermediates: [], key: key)
        return (try? makeContext(TLSServerConfiguration(identities: [identity]))) != nil
    }

    /// SNI can pick only one certificate per name: a name on two of them is an error at the
    /// later one. A certificate after the first without a name can never be chosen: a warning.
    mutating func checkServerNames(_ certificates: [TLSConfig.Certificate]) {
        for certificate in certificates.dropFirst() where certificate.identity.serverNames.isEmpty {
            bag.warning("the certificate in '\(certificate.certFile)' names no DNS server name (subjectAltName): SNI "
                        + "can never choose it, and only the first certificate is the default", at: certificate.certLocation)
        }
        checkDistinctServerNames(certificates)
    }

    /// A name on two of `certificates` is an error at the later one: the certificates of one
    /// `tls:`, or of every server sharing an HTTPS address.
    mutating func checkDistinctServerNames(_ certificates: [TLSConfig.Certificate]) {
        var firstByName: [String: TLSConfig.Certificate] = [:]
        for certificate in certificates {
            for name in Set(certificate.identity.serverNames).sorted() {
                guard let first = firstByName[name] else {
                    firstByName[name] = certificate
                    continue
                }
                bag.error("server name '\(name)' is also in the certificate in '\(first.certFile)'; SNI can choose "
                          + "only one certificate per name", at: certificate.certLocation,
                          notes: [.init("that certificate is named here", at: first.certLocation)])
            }
        }
    }

    private mutating func readChain(_ pair: Pair) -> [NIOSSLCertificate]? {
        guard let bytes = read(pair.certFile, what: "certificate", at: pair.certLocation) else { return nil }
        guard let chain = try? NIOSSLCertificate.fromPEMBytes(bytes), !chain.isEmpty else {
            bag.error("'\(pair.certFile)' is not a PEM certificate chain (-----BEGIN CERTIFICATE-----, leaf first)",
                      at: pair.certLocation)
            return nil
        }
        return chain
    }

    private mutating func readKey(_ pair: Pair) -> NIOSSLPrivateKey? {
        guard let bytes = read(pair.keyFile, what: "key", at: pair.keyLocation) else { return nil }
        if String(decoding: bytes, as: UTF8.self).contains("ENCRYPTED") {
            bag.error("the key in '\(pair.keyFile)' is encrypted; give an unencrypted one "
                      + "(openssl pkey -in KEY -out PLAIN_KEY), readable only by the server's user",
                      at: pair.keyLocation)
            return nil
        }
        guard let key = try? NIOSSLPrivateKey(bytes: bytes, format: .pem) else {
            let text = String(decoding: bytes, as: UTF8.self)
            if text.contains("-----BEGIN") && text.contains("PRIVATE KEY-----") {
                bag.error("the key in '\(pair.keyFile)' is of a type or curve this server cannot use; give an RSA key "
                          + "or an EC key on P-256 or P-384", at: pair.keyLocation)
            } else {
                bag.error("'\(pair.keyFile)' is not a PEM private key (-----BEGIN PRIVATE KEY-----)", at: pair.keyLocation)
            }
            return nil
        }
        return key
    }

    private mutating func read(_ path: String, what: String, at location: SourceLocation) -> [UInt8]? {
        switch RegularFile.read(atPath: path, limit: Self.maximumFileSize) {
        case .success(let bytes): return bytes
        case .failure(let failure):
            bag.error("cannot read \(what) '\(path)': \(failure.description)", at: location)
            return nil
        }
    }

    /// Whether every certificate of the chain is valid now; warns when one ends soon.
    private mutating func checkValidity(of chain: [NIOSSLCertificate], pair: Pair) -> Bool {
        var valid = true
        for (index, certificate) in chain.enumerated() {
            let which = index == 0 ? "the certificate in '\(pair.certFile)'"
                : "certificate \(index + 1) of the chain in '\(pair.certFile)'"
            if certificate.notValidAfter < now {
                bag.error("\(which) expired on \(Self.date(certificate.notValidAfter))", at: pair.certLocation)
                valid = false
            } else if certificate.notValidBefore > now {
                bag.error("\(which) is not valid before \(Self.date(certificate.notValidBefore))", at: pair.certLocation)
                valid = false
            } else if certificate.notValidAfter - now < Self.expiryWarning {
                let days = (certificate.notValidAfter - now) / (24 * 3600)
                bag.warning("\(which) expires on \(Self.date(certificate.notValidAfter)), in "
                            + (days == 0 ? "less than a day" : "\(days) day\(days == 1 ? "" : "s")"),
                            at: pair.certLocation)
            }
        }
        return valid
    }

    /// `2026-01-31 12:00:00 UTC`.
    static func date(_ seconds: time_t) -> String {
        var time = seconds
        var parts = tm()
        gmtime_r(&time, &parts)
        var text = [CChar](repeating: 0, count: 32)
        let count = strftime(&text, text.count, "%Y-%m-%d %H:%M:%S UTC", &parts)
        return String(decoding: text[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
