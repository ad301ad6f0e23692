import NIOHTTP1

/// One server as the connections of a listener see it: its name, the host names it takes,
/// its routes and where its requests are logged. A class: each request holds on to its
/// server, which then costs one reference, not a copy of every table.
public final class VirtualServer: Sendable {
    /// The server's `name`, for handlers and logs.
    public let name: String
    /// The names it answers; empty for the listener's default server.
    public let hosts: [HostPattern]
    /// Its routes, with its response amendments.
    public let routes: RoutingTable
    /// Called once per response it sends, on the connection's event loop.
    public let accessLog: (@Sendable (AccessLogEntry) -> Void)?
    /// Whether anything records its responses (its access log, request metrics): most
    /// servers' responses then need nothing of what a record holds.
    let recordsResponses: Bool

    /// Creates a server.
    public init(name: String, hosts: [HostPattern] = [], routes: RoutingTable,
                accessLog: (@Sendable (AccessLogEntry) -> Void)? = nil) {
        self.name = name
        self.hosts = hosts
        self.routes = routes
        self.accessLog = accessLog
        recordsResponses = accessLog != nil || routes.countsRequests
    }
}

/// The servers sharing one listener, and which of them a request is for: by the host it
/// names, case-insensitively, without its port or a trailing dot. An exact name wins over
/// a wildcard, a longer wildcard suffix over a shorter one; a request no name matches goes
/// to the default server (the one without `hosts`), if there is one.
///
/// A class: each connection keeps the servers of its listener for its whole life, idle or
/// not, and a reference is 8 bytes where the tables inline were about 60.
public final class VirtualHosts: Sendable {
    /// Where a request goes.
    enum Choice {
        /// To this server.
        case server(VirtualServer)
        /// To none: no name matches and there is no default (404).
        case noServer
        /// To none: the connection's certificate, chosen for another name, does not cover
        /// the requested host (421, RFC 9110 §15.5.20; the client retries on a new connection).
        case misdirected
    }

    /// The servers, in config order; never empty.
    public let servers: [VirtualServer]
    private let exact: [String: Int]
    /// Longest suffix first, so that the first hit is the most specific.
    private let wildcards: [(suffix: String, index: Int)]
    private let defaultIndex: Int?
    /// Whether any server is chosen by name; otherwise every request goes to the only one.
    public let isByName: Bool
    /// The listener's certificates, when it is HTTPS and its servers are chosen by name.
    private let certificates: TLSIdentitySelector?

    /// The servers of one listener; the config has checked that no two take the same name
    /// and at most one has no `hosts` (a later duplicate would lose).
    /// - Parameter certificates: the listener's TLS identities, for the 421 check.
    public init(_ servers: [VirtualServer], certificates: [TLSIdentity] = []) {
        precondition(!servers.isEmpty, "a listener serves at least one server")
        self.servers = servers
        var exact: [String: Int] = [:]
        var wildcards: [(suffix: String, index: Int)] = []
        for (index, server) in servers.enumerated() {
            for pattern in server.hosts {
                switch pattern {
                case .exact(let name): exact[name] = exact[name] ?? index
                case .wildcard(let suffix): wildcards.append((suffix, index))
                }
            }
        }
        self.exact = exact
        self.wildcards = wildcards.sorted { $0.suffix.utf8.count > $1.suffix.utf8.count }
        defaultIndex = servers.firstIndex { $0.hosts.isEmpty }
        let isByName = servers.contains { !$0.hosts.isEmpty }
        self.isByName = isByName
        self.certificates = certificates.isEmpty || !isByName ? nil : TLSIdentitySelector(identities: certificates)
    }

    /// A listener of one server that takes every host.
    public convenience init(_ server: VirtualServer) {
        self.init([server])
    }

    /// The server whose log records requests no server takes, and errors found before a
    /// request's host is known: the default, or else the first server declared.
    var fallback: VirtualServer { servers[defaultIndex ?? 0] }

    /// The server for a request for `host` (a name as ``RequestHost`` reads it; nil when the
    /// request names none) on a connection whose client asked TLS for `serverName` (SNI), if
    /// any. Over TLS, a request must name a host the certificate chosen for `serverName`
    /// covers: one that names none, or another, is misdirected (421) — the connection was
    /// made for that name, not for this request. Neither is asked for where the listener
    /// has one server for every host.
    func choose(host: @autoclosure () -> String?, serverName: @autoclosure () -> String?) -> Choice {
        guard isByName else { return .server(servers[0]) }
        let host = host()
        if let certificates, let serverName = serverName().flatMap({ RequestHost.name(ofAuthority: Substring($0)) }) {
            guard let host, host == serverName || certificates.identity(for: serverName).covers(host) else {
                return .misdirected
            }
        }
        if let host {
            if let index = exact[host] { return .server(servers[index]) }
            if let hit = wildcards.first(where: { HostPattern.wildcard(suffix: $0.suffix).matches(host) }) {
                return .server(servers[hit.index])
            }
        }
        return defaultIndex.map { .server(servers[$0]) } ?? .noServer
    }
}

extension TLSIdentitySelector {
    /// The identity a handshake for `hostname` presents.
    func identity(for hostname: String) -> TLSIdentity {
        identities[index(for: hostname)]
    }
}

extension TLSIdentity {
    /// Whether the certificate is valid for `host`, exactly or by a wildcard.
    func covers(_ host: String) -> Bool {
        hasExactName(host) || hasWildcardName(covering: host)
    }
}
