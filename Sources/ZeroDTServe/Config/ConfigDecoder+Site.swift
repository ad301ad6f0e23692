import Foundation
import Logging
import ZeroDT
import ZeroDTHTTP

extension ConfigDecoder {
    static let siteKeys = ["servers", "include", "restart", "pid_file", "control", "log"]

    /// Decodes the main file, with `included` (the servers of the files its `include:` names,
    /// decoded by decoders of their own) after its own servers; nil when any error was found.
    mutating func site(_ root: ConfigNode, included: [ServerConfig] = []) -> SiteConfig? {
        guard let fields = mapping(root, what: "top level", allowed: Self.siteKeys) else { return nil }
        // With `include:`, the servers may all be in the included files.
        let includes = fields.has("include")
        if !includes && !fields.has("servers") {
            missing("missing required key 'servers' in 'top level'", anyOf: ["servers"], in: fields)
        }
        var servers: [ServerConfig] = []
        if let node = fields["servers"], let items = list(node, what: "servers", allowEmpty: includes) {
            servers = items.compactMap { server($0) }
        }
        servers += included
        if let location = fields.keyLocation("include"), servers.isEmpty, !bag.hasErrors {
            error("no servers: neither this file nor the files 'include' names declare any", at: location)
        }
        var site = SiteConfig(file: file, servers: servers, restart: RestartConfig(), log: LogConfig())
        if let node = fields["restart"] { site.restart = restart(node) ?? site.restart }
        if let node = fields["log"] { site.log = log(node) ?? site.log }
        if let node = fields["pid_file"], let resolved = path(node, what: "pid_file") {
            site.pidFile = resolved
            checkParentDirectory(of: resolved, what: "pid_file", at: node.location)
        }
        if let node = fields["control"], let resolved = path(node, what: "control") {
            if checkUnixPath(resolved, what: "control", at: node.location) { site.control = resolved }
        }
        checkUniqueServerNames(servers)
        checkAddressConflicts(site)
        checkOwnFilesAreDistinct(site, controlLocation: fields["control"]?.location,
                                 pidFileLocation: fields["pid_file"]?.location)
        return bag.hasErrors ? nil : site
    }

    private mutating func restart(_ node: ConfigNode) -> RestartConfig? {
        guard let fields = mapping(node, what: "restart", allowed: ["wait_child", "wait_parent", "watch", "supervise"]) else {
            return nil
        }
        var config = RestartConfig()
        if let node = fields["wait_child"], let value = duration(node, what: "wait_child") {
            if value <= .zero {
                error("'wait_child' must be longer than 0s", at: node.location)
            }
            config.waitChild = value
        }
        if let node = fields["wait_parent"], let value = duration(node, what: "wait_parent") {
            config.waitParent = value
        }
        if let node = fields["supervise"], let value = choice(node, what: "supervise", as: Supervision.self) {
            config.supervise = value
        }
        if let node = fields["watch"], let items = list(node, what: "watch", allowEmpty: true) {
            config.watch = items.compactMap { item in
                guard let text = string(item, what: "watch") else { return nil }
                switch text {
                case "binary": return .binary
                case "config": return .config
                default:
                    guard let resolved = path(item, what: "watch") else { return nil }
                    guard FileManager.default.fileExists(atPath: resolved) else {
                        error("watched file '\(resolved)' does not exist", at: item.location,
                              notes: [.init("'watch' takes 'binary', 'config' or the path of an existing file")])
                        return nil
                    }
                    return .file(resolved)
                }
            }
        }
        return config
    }

    private mutating func log(_ node: ConfigNode) -> LogConfig? {
        guard let fields = mapping(node, what: "log", allowed: ["level", "format", "file", "access"]) else { return nil }
        var config = LogConfig()
        if let node = fields["level"], let level = choice(node, what: "level", as: Logger.Level.self) {
            config.level = level
        }
        if let node = fields["format"], let format = choice(node, what: "format", as: LogConfig.Format.self) {
            config.format = format
        }
        if let node = fields["file"], let file = logFile(node, what: "file") { config.file = file }
        if let node = fields["access"] {
            if case .mapping = node.value {
                decodeAccessFile(node, into: &config)
            } else if let access = boolean(node, what: "access") {
                config.access = access
            }
        }
        return config
    }

    /// `access: { file: PATH, format: common | combined | json }`.
    private mutating func decodeAccessFile(_ node: ConfigNode, into config: inout LogConfig) {
        guard let fields = mapping(node, what: "access", allowed: ["file", "format"], required: ["file"]) else { return }
        if let node = fields["file"], let file = logFile(node, what: "file") { config.accessFile = file }
        if let node = fields["format"], let format = choice(node, what: "format", as: LogConfig.AccessFormat.self) {
            config.accessFormat = format
        }
    }

    /// A log file's path, in a directory that exists.
    private mutating func logFile(_ node: ConfigNode, what: String) -> String? {
        guard let resolved = path(node, what: what),
              checkParentDirectory(of: resolved, what: what, at: node.location) else { return nil }
        return resolved
    }

    /// Reports an error unless the directory that would hold `path` exists.
    @discardableResult
    mutating func checkParentDirectory(of path: String, what: String, at location: SourceLocation) -> Bool {
        let directory = (path as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory.isEmpty ? "/" : directory, isDirectory: &isDirectory),
           isDirectory.boolValue {
            return true
        }
        error("directory '\(directory)' for '\(what)' does not exist", at: location)
        return false
    }

    /// Checks that a unix socket path fits `sun_path`, that its directory exists, and that
    /// nothing but a socket is there already: serving refuses to replace any other file
    /// (`Listener.bind`), so `check` says so first.
    mutating func checkUnixPath(_ path: String, what: String, at location: SourceLocation) -> Bool {
        guard path.utf8.count <= ListenAddress.maximumUnixPathLength else {
            error("unix socket path for '\(what)' is \(path.utf8.count) bytes long; the limit is "
                  + "\(ListenAddress.maximumUnixPathLength)", at: location,
                  notes: [.init("use a shorter path, e.g. under /run")])
            return false
        }
        guard checkParentDirectory(of: path, what: what, at: location) else { return false }
        if case .other(let kind) = SocketFile.kind(atPath: path) {
            // The value is kept so that the checks between paths still run.
            error("'\(what)' path '\(path)' is \(kind), not a socket", at: location,
                  notes: [.init("zerodt-serve never replaces it; remove it or choose another path")])
        }
        return true
    }

    private mutating func checkUniqueServerNames(_ servers: [ServerConfig]) {
        var firstByName: [String: SourceLocation] = [:]
        for server in servers {
            if let first = firstByName[server.name] {
                error("duplicate server name '\(server.name)'", at: server.location,
                      notes: [.init("first declared here", at: first)])
            } else {
                firstByName[server.name] = server.location
            }
        }
    }

    /// An address may be declared by several servers, which then share it (checked in
    /// `checkSharedAddress`), but by no server twice, and no two addresses may overlap
    /// (`0.0.0.0:80` and `127.0.0.1:80`): they cannot both be bound.
    private mutating func checkAddressConflicts(_ site: SiteConfig) {
        var seen: [(listener: ListenerConfig, server: String)] = []
        var namesSeen: [String: SourceLocation] = [:]
        for server in site.servers {
            for listener in server.listen {
                if let earlier = seen.first(where: { $0.listener.address.conflicts(with: listener.address) }),
                   earlier.listener.address != listener.address || earlier.server == server.name {
                    let what = earlier.listener.address == listener.address
                        ? "address \(listener.address) is declared twice"
                        : "address \(listener.address) overlaps \(earlier.listener.address) declared earlier"
                    error(what, at: listener.location,
                          notes: [.init("first declared here", at: earlier.listener.location)])
                }
                seen.append((listener, server.name))
                if let name = listener.name {
                    if let first = namesSeen[name] {
                        error("duplicate listener name '\(name)'", at: listener.location,
                              notes: [.init("first declared here", at: first)])
                    } else {
                        namesSeen[name] = listener.location
                    }
                }
            }
        }
        for socket in site.sockets where socket.servers.count > 1 {
            checkSharedAddress(socket, servers: site.servers)
        }
    }

    /// Servers sharing an address must each be found by name, but for one default without
    /// `hosts`; no name may lead to two of them; and all speak HTTPS there, or none.
    private mutating func checkSharedAddress(_ socket: SocketPlan, servers: [ServerConfig]) {
        let first = socket.entries[0]
        var defaultServer: (name: String, location: SourceLocation)?
        var takenBy: [HostPattern: (server: String, location: SourceLocation)] = [:]
        for (serverIndex, entry) in zip(socket.servers, socket.entries) {
            let server = servers[serverIndex]
            let address = entry.address
            if (entry.tls == nil) != (first.tls == nil) {
                error("address \(address) is \(first.tls == nil ? "plain HTTP" : "HTTPS") for server "
                      + "'\(servers[socket.servers[0]].name)' but \(entry.tls == nil ? "plain HTTP" : "HTTPS") here; "
                      + "servers sharing an address share its socket, so all or none must have 'tls'",
                      at: entry.location, notes: [.init("first declared here", at: first.location)])
            }
            if server.hosts.isEmpty {
                if let earlier = defaultServer {
                    error("address \(address) has two default servers: '\(earlier.name)' and '\(server.name)' "
                          + "both leave out 'hosts'", at: entry.location,
                          notes: [.init("'\(earlier.name)' declares it here", at: earlier.location),
                                  .init("give all but one of the servers sharing an address 'hosts'")])
                } else {
                    defaultServer = (server.name, entry.location)
                }
            }
            let owner = servers[socket.owner]
            if serverIndex != socket.owner && server.http != owner.http {
                // They are fixed for the connection before a request names its host.
                warning("server '\(server.name)' sets timeouts, limits or shutdown_delay unlike '\(owner.name)', "
                        + "whose apply on \(address): it owns that address", at: entry.location)
            }
            for host in server.hosts {
                if let earlier = takenBy[host.pattern] {
                    error("host '\(host.pattern)' on address \(address) is already taken by server "
                          + "'\(earlier.server)'", at: host.location,
                          notes: [.init("listed there", at: earlier.location)])
                } else {
                    takenBy[host.pattern] = (server.name, host.location)
                }
            }
        }
        // The address offers every server's certificates, and SNI picks one per name.
        if let certificates = socket.listener.tls?.certificates {
            var check = CertificateCheck()
            check.checkDistinctServerNames(certificates)
            bag.append(contentsOf: check.diagnostics)
        }
    }

    /// The files the server makes (unix sockets, the control socket, the pid file) must be
    /// distinct: each would replace the other, and removing one at exit would remove both.
    private mutating func checkOwnFilesAreDistinct(_ site: SiteConfig, controlLocation: SourceLocation?,
                                                   pidFileLocation: SourceLocation?) {
        func same(_ a: String, _ b: String) -> Bool {
            URL(fileURLWithPath: a).standardizedFileURL.path == URL(fileURLWithPath: b).standardizedFileURL.path
        }
        func listener(at path: String) -> ListenerConfig? {
            site.listeners.first { $0.address.unixPath.map { same($0, path) } ?? false }
        }
        if let control = site.control, let controlLocation {
            if let clash = listener(at: control) {
                error("control socket '\(control)' is also a listener", at: controlLocation,
                      notes: [.init("listener declared here", at: clash.location)])
            }
            if let pidFile = site.pidFile, let pidFileLocation, same(control, pidFile) {
                error("control socket '\(control)' is also the pid_file", at: controlLocation,
                      notes: [.init("pid_file declared here", at: pidFileLocation)])
            }
        }
        if let pidFile = site.pidFile, let pidFileLocation, let clash = listener(at: pidFile) {
            error("pid_file '\(pidFile)' is also a listener", at: pidFileLocation,
                  notes: [.init("listener declared here", at: clash.location)])
        }
    }
}
