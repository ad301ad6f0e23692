import ZeroDTHTTP

extension ConfigDecoder {
    static let tlsKeys = ["cert", "key", "certificates", "min_version", "alpn"]
    static let certificateKeys = ["cert", "key"]

    /// A listener's `tls:` mapping: one `cert`/`key` pair, or a `certificates` list of them,
    /// each loaded and checked (`CertificateCheck`).
    mutating func tls(_ node: ConfigNode) -> TLSConfig? {
        guard let fields = mapping(node, what: "tls", allowed: Self.tlsKeys) else { return nil }
        var minimumVersion: TLSConfig.MinimumVersion?
        if let node = fields["min_version"] {
            minimumVersion = choice(node, what: "min_version", as: TLSConfig.MinimumVersion.self)
        }
        let applicationProtocols = fields["alpn"].map { applicationProtocolList($0) }
        let pairs: [CertificateCheck.Pair]?
        if let list = fields["certificates"] {
            if let location = fields.keyLocation("cert") ?? fields.keyLocation("key") {
                error("'tls' takes 'cert' and 'key' or a 'certificates' list, not both", at: location,
                      notes: [.init("'certificates' is here", at: fields.keyLocation("certificates"))])
                return nil
            }
            pairs = certificateList(list)
        } else if fields.has("cert") || fields.has("key") {
            pairs = certificatePair(fields, what: "tls").map { [$0] }
        } else {
            missing("'tls' needs 'cert' and 'key', or a 'certificates' list", anyOf: ["cert", "key", "certificates"],
                    in: fields)
            return nil
        }
        guard let pairs else { return nil }
        var check = CertificateCheck()
        // Invalid settings are reported already; the certificates are checked with the defaults.
        let settings = TLSConfig.server(identities: [], minimumVersion: minimumVersion,
                                        applicationProtocols: applicationProtocols ?? nil)
        let certificates = pairs.compactMap { check.load($0, settings: settings) }
        check.checkServerNames(certificates)
        bag.append(contentsOf: check.diagnostics)
        guard certificates.count == pairs.count, !check.hasErrors else { return nil }
        if case .some(nil) = applicationProtocols { return nil }
        return TLSConfig(certificates: certificates, minimumVersion: minimumVersion,
                         applicationProtocols: applicationProtocols ?? nil)
    }

    /// `alpn: [h2, http/1.1]`: protocols the server speaks, each once, at least one.
    private mutating func applicationProtocolList(_ node: ConfigNode) -> [ApplicationProtocol]? {
        guard let items = list(node, what: "alpn") else { return nil }
        let known = ApplicationProtocol.all.map(\.identifier)
        var protocols: [ApplicationProtocol] = []
        var firstLocation: [ApplicationProtocol: SourceLocation] = [:]
        var valid = true
        for item in items {
            guard let text = string(item, what: "alpn") else {
                valid = false
                continue
            }
            guard let applicationProtocol = ApplicationProtocol(identifier: text) else {
                let notes = Suggestion.closest(to: text, among: known).map { [Diagnostic.Note("did you mean '\($0)'?")] }
                error("'alpn' must list protocols among \(known.joined(separator: ", ")), found \(describe(item))",
                      at: item.location, notes: notes ?? [])
                valid = false
                continue
            }
            if let first = firstLocation[applicationProtocol] {
                error("'\(text)' is listed twice in 'alpn'", at: item.location, notes: [.init("first listed here", at: first)])
                valid = false
                continue
            }
            firstLocation[applicationProtocol] = item.location
            protocols.append(applicationProtocol)
        }
        return valid ? protocols : nil
    }

    private mutating func certificateList(_ node: ConfigNode) -> [CertificateCheck.Pair]? {
        guard let items = list(node, what: "certificates") else { return nil }
        let pairs = items.map { item in
            mapping(item, what: "certificates", allowed: Self.certificateKeys).flatMap {
                certificatePair($0, what: "certificates")
            }
        }
        return pairs.contains { $0 == nil } ? nil : pairs.compactMap { $0 }
    }

    /// The `cert` and `key` of a mapping, as absolute paths.
    private mutating func certificatePair(_ fields: Fields, what: String) -> CertificateCheck.Pair? {
        for key in Self.certificateKeys where !fields.has(key) {
            missing("missing required key '\(key)' in '\(what)'", anyOf: [key], in: fields)
        }
        guard let certNode = fields["cert"], let keyNode = fields["key"] else { return nil }
        let cert = path(certNode, what: "cert")
        let key = path(keyNode, what: "key")
        guard let cert, let key else { return nil }
        return CertificateCheck.Pair(certFile: cert, keyFile: key, certLocation: certNode.location,
                                     keyLocation: keyNode.location)
    }
}
