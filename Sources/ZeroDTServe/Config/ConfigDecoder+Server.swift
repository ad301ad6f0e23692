import ZeroDTHTTP

extension ConfigDecoder {
    static let serverKeys = ["name", "listen", "hosts", "shutdown_delay", "timeouts", "limits", "routes", "headers",
                             "error_pages"]
    static let timeoutKeys = ["read_header", "read_body", "idle", "write", "shutdown", "drain_grace"]
    static let limitKeys = ["max_header_size", "max_body_size", "max_connections", "max_concurrent_streams"]

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
        var http = HTTPServerConfiguration()
        if let node = fields["timeouts"] { decodeTimeouts(node, into: &http) }
        if let node = fields["limits"] { decodeLimits(node, into: &http) }
        if let node = fields["shutdown_delay"], let delay = duration(node, what: "shutdown_delay") {
            http.shutdownDelay = delay
        }
        guard let name else { return nil }
        var server = ServerConfig(name: name, listen: listeners, http: http, routes: routes, location: node.location)
        if let node = fields["headers"], let headers = responseHeaders(node) { server.headers = headers }
        if let node = fields["error_pages"], let pages = errorPages(node) { server.errorPages = pages }
        if let node = fields["hosts"], let hosts = hosts(node) { server.hosts = hosts }
        return server
    }

    private mutating func decodeTimeouts(_ node: ConfigNode, into config: inout HTTPServerConfiguration) {
        guard let fields = mapping(node, what: "timeouts", allowed: Self.timeoutKeys) else { return }
        func read(_ key: String, into value: inout Duration, decoder: inout ConfigDecoder) {
            guard let node = fields[key], let duration = decoder.duration(node, what: key) else { return }
            if duration <= .zero && key != "drain_grace" {
                decoder.error("'\(key)' must be longer than 0s", at: node.location)
                return
            }
            value = duration
        }
        read("read_header", into: &config.readHeaderTimeout, decoder: &self)
        read("read_body", into: &config.readBodyTimeout, decoder: &self)
        read("idle", into: &config.idleTimeout, decoder: &self)
        read("write", into: &config.writeTimeout, decoder: &self)
        read("shutdown", into: &config.shutdownTimeout, decoder: &self)
        read("drain_grace", into: &config.drainGrace, decoder: &self)
        if let node = fields["drain_grace"], config.drainGrace > config.shutdownTimeout {
            error("'drain_grace' (\(config.drainGrace.configDescription)) must not exceed 'shutdown' "
                  + "(\(config.shutdownTimeout.configDescription))", at: node.location)
        }
    }

    private mutating func decodeLimits(_ node: ConfigNode, into config: inout HTTPServerConfiguration) {
        guard let fields = mapping(node, what: "limits", allowed: Self.limitKeys) else { return }
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
        if let node = fields["max_concurrent_streams"],
           let count = integer(node, what: "max_concurrent_streams", range: 1...10_000) {
            config.maxConcurrentStreams = count
        }
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
