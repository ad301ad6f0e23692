extension ConfigDecoder {
    static let tlsKeys = ["cert", "key", "certificates", "min_version"]
    static let certificateKeys = ["cert", "key"]

    /// A listener's `tls:` mapping: one `cert`/`key` pair, or a `certificates` list of them,
    /// each loaded and checked (`CertificateCheck`).
    mutating func tls(_ node: ConfigNode) -> TLSConfig? {
        guard let fields = mapping(node, what: "tls", allowed: Self.tlsKeys) else { return nil }
        var minimumVersion: TLSConfig.MinimumVersion?
        if let node = fields["min_version"] {
            minimumVersion = choice(node, what: "min_version", as: TLSConfig.MinimumVersion.self)
        }
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
        let certificates = pairs.compactMap { check.load($0) }
        check.checkServerNames(certificates)
        bag.append(contentsOf: check.diagnostics)
        guard certificates.count == pairs.count, !check.hasErrors else { return nil }
        return TLSConfig(certificates: certificates, minimumVersion: minimumVersion)
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
