import ZeroDTHTTP

extension ConfigDecoder {
    /// The route keys of on-the-fly compression.
    static let encodingKeys = ["encode", "encode_min_size", "encode_level"]

    /// `encode:`, `encode_min_size:` and `encode_level:` of a route whose action is `action`:
    /// nil settings without `encode`, `valid` false after an error.
    mutating func routeEncoding(_ fields: Fields, action: String) -> (settings: EncodingSettings?, valid: Bool) {
        guard let node = fields["encode"] else {
            var valid = true
            for key in Self.encodingKeys.dropFirst() {
                if let location = fields.keyLocation(key) {
                    error("'\(key)' applies only with 'encode'", at: location)
                    valid = false
                }
            }
            return (nil, valid)
        }
        if action == "redirect", let location = fields.keyLocation("encode") {
            error("'encode' does not apply to 'redirect' routes: their bodies are a few bytes", at: location)
            return (nil, false)
        }
        guard let codings = codings(node, what: "encode") else { return (nil, false) }
        var valid = true
        for (coding, item) in codings where !EncodingSettings.supportedCodings.contains(coding) {
            let offered = EncodingSettings.supportedCodings.map(\.rawValue).joined(separator: ", ")
            error("'encode' cannot compress to '\(coding.rawValue)' on the fly; it supports \(offered)",
                  at: item.location,
                  notes: [.init("serve files compressed ahead of time with 'precompressed: [\(coding.rawValue)]' "
                      + "on a static route")])
            valid = false
        }
        var settings = EncodingSettings(codings: codings.map(\.coding))
        if let node = fields["encode_min_size"] {
            if let size = size(node, what: "encode_min_size", minimum: 0) {
                settings.minimumSize = size
            } else {
                valid = false
            }
        }
        if let node = fields["encode_level"] {
            if let level = integer(node, what: "encode_level", range: EncodingSettings.levels) {
                settings.level = level
            } else {
                valid = false
            }
        }
        return (valid ? settings : nil, valid)
    }

    /// `precompressed:` of a static route.
    mutating func precompressed(_ node: ConfigNode) -> [ContentCoding]? {
        codings(node, what: "precompressed")?.map(\.coding)
    }

    /// A content coding or a list of them, each once; nil after an error.
    private mutating func codings(_ node: ConfigNode, what: String) -> [(coding: ContentCoding, node: ConfigNode)]? {
        let items: [ConfigNode]
        if case .scalar = node.value {
            items = [node]
        } else {
            guard let list = list(node, what: what) else { return nil }
            items = list
        }
        var codings: [(coding: ContentCoding, node: ConfigNode)] = []
        var valid = true
        for item in items {
            guard let coding = choice(item, what: what, as: ContentCoding.self) else {
                valid = false
                continue
            }
            if codings.contains(where: { $0.coding == coding }) {
                error("'\(what)' lists '\(coding.rawValue)' twice", at: item.location)
                valid = false
                continue
            }
            codings.append((coding, item))
        }
        return valid ? codings : nil
    }
}
