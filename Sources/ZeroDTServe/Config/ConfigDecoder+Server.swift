import ZeroDTHTTP

extension ConfigDecoder {
    static let serverKeys = ["name", "listen", "timeouts", "limits", "routes"]
    static let timeoutKeys = ["read_header", "read_body", "idle", "write", "shutdown", "drain_grace"]
    static let limitKeys = ["max_header_size", "max_body_size", "max_connections"]

    /// Whether `name` is usable as a server or listener name (it ends up in logs,
    /// `LISTEN_FDNAMES` and file names).
    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64
            && name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_") }
    }

    /// A `name:` value, checked with `isValidName`.
    mutating func name(_ node: ConfigNode, of owner: String) -> String? {
        guard let text = string(node, what: "name") else { return nil }
        guard Self.isValidName(text) else {
            error("\(owner) name '\(text)' may only contain letters, digits, '-' and '_'", at: node.location)
            return nil
        }
        return text
    }

    mutating func server(_ node: ConfigNode) -> ServerConfig? {
        guard let fields = mapping(node, what: "server", allowed: Self.serverKeys, required: ["name", "listen", "routes"])
        else { return nil }
        // Invalid parts are left out rather than failing the server, so that the
        // cross-checks (duplicate names, overlapping addresses) still see the rest.
        let name = fields["name"].flatMap { self.name($0, of: "server") }
        var listeners: [ListenerConfig] = []
        if let node = fields["listen"], let items = list(node, what: "listen") {
            listeners = items.compactMap { listener($0) }
        }
        var routes: [RouteConfig] = []
        if let node = fields["routes"], let items = list(node, what: "routes") {
            routes = items.compactMap { route($0) }
            checkUniqueRoutePaths(routes)
        }
        var timeouts = TimeoutsConfig()
        if let node = fields["timeouts"] { timeouts = decodeTimeouts(node) ?? timeouts }
        var limits = LimitsConfig()
        if let node = fields["limits"] { limits = decodeLimits(node) ?? limits }
        guard let name else { return nil }
        return ServerConfig(name: name, listen: listeners, timeouts: timeouts, limits: limits, routes: routes,
                            location: node.location)
    }

    private mutating func decodeTimeouts(_ node: ConfigNode) -> TimeoutsConfig? {
        guard let fields = mapping(node, what: "timeouts", allowed: Self.timeoutKeys) else { return nil }
        var config = TimeoutsConfig()
        func read(_ key: String, into value: inout Duration, decoder: inout ConfigDecoder) {
            guard let node = fields[key], let duration = decoder.duration(node, what: key) else { return }
            if duration <= .zero && key != "drain_grace" {
                decoder.error("'\(key)' must be longer than 0s", at: node.location)
                return
            }
            value = duration
        }
        read("read_header", into: &config.readHeader, decoder: &self)
        read("read_body", into: &config.readBody, decoder: &self)
        read("idle", into: &config.idle, decoder: &self)
        read("write", into: &config.write, decoder: &self)
        read("shutdown", into: &config.shutdown, decoder: &self)
        read("drain_grace", into: &config.drainGrace, decoder: &self)
        if let node = fields["drain_grace"], config.drainGrace > config.shutdown {
            error("'drain_grace' (\(config.drainGrace.configDescription)) must not exceed 'shutdown' "
                  + "(\(config.shutdown.configDescription))", at: node.location)
        }
        return config
    }

    private mutating func decodeLimits(_ node: ConfigNode) -> LimitsConfig? {
        guard let fields = mapping(node, what: "limits", allowed: Self.limitKeys) else { return nil }
        var config = LimitsConfig()
        if let node = fields["max_header_size"], let bytes = size(node, what: "max_header_size", minimum: 1024) {
            config.maxHeaderSize = bytes
        }
        if let node = fields["max_body_size"], let bytes = size(node, what: "max_body_size", minimum: 0) {
            config.maxBodySize = bytes
        }
        if let node = fields["max_connections"],
           let count = integer(node, what: "max_connections", range: 1...1_000_000) {
            config.maxConnections = count
            warnIfBeyondFileLimit(count, at: node.location)
        }
        return config
    }

    /// Each connection takes a file descriptor; a limit the process cannot reach leaves
    /// none for the files it serves. Judged by this process's limit, which `check` run
    /// by hand may not share with the service (systemd's `LimitNOFILE=`).
    private mutating func warnIfBeyondFileLimit(_ count: Int, at location: SourceLocation) {
        guard let soft = ConnectionLimit.softFileLimit() else { return }
        let safe = ConnectionLimit.safeMaximum(softFileLimit: soft)
        guard count > safe else { return }
        warning("'max_connections' (\(count)) exceeds what the open-file limit allows: the soft limit is \(soft) "
                + "(ulimit -n), which leaves room for \(safe) connections besides the files being served; "
                + "lower it or raise the limit (LimitNOFILE= in a systemd unit)", at: location)
    }

    private mutating func checkUniqueRoutePaths(_ routes: [RouteConfig]) {
        var firstByPath: [String: SourceLocation] = [:]
        for route in routes {
            if let first = firstByPath[route.path] {
                error("duplicate route path '\(route.path)' in this server", at: route.location,
                      notes: [.init("first declared here", at: first)])
            } else {
                firstByPath[route.path] = route.location
            }
        }
    }
}
