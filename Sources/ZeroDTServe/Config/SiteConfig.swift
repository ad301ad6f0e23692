import Logging
import ZeroDT
import ZeroDTHTTP

/// A fully validated config file: every server with its listeners, routes, timeouts and
/// limits, plus the process-wide settings. Values are immutable once loaded.
public struct SiteConfig: Sendable, Equatable {
    /// The config file's path as given by the user.
    public var file: String
    /// The servers, in file order.
    public var servers: [ServerConfig]
    /// How restarts behave.
    public var restart: RestartConfig
    /// Where the current generation writes its pid, if anywhere.
    public var pidFile: String?
    /// The unix socket the control commands talk to, if any.
    public var control: String?
    /// Logging settings.
    public var log: LogConfig
    /// Problems that do not stop the config from being served (a `max_connections` above
    /// what the open-file limit allows); `check` prints them.
    public var warnings: [Diagnostic] = []
    /// The files this config was read from, absolute: the main file, then every file its
    /// `include:` named, in the order their servers were merged.
    public var configFiles: [String] = []
    /// The existing directories of `include:` glob patterns, absolute: a file added to or
    /// removed from one of them changes the config.
    public var includeDirectories: [String] = []

    /// Every listener of every server, in file order.
    public var listeners: [ListenerConfig] { servers.flatMap(\.listen) }
    /// Every route of every server.
    public var routes: [RouteConfig] { servers.flatMap(\.routes) }
}

/// `restart:` — how a zero-downtime restart is carried out.
public struct RestartConfig: Sendable, Equatable {
    /// What `restart.watch` can name.
    public enum WatchTarget: Sendable, Hashable {
        /// The executable the successor would run.
        case binary
        /// The config file itself, with the files it includes and the directories its
        /// include patterns look in (`SiteConfig.watchPaths`).
        case config
        /// Any other file, such as one a handler module reads.
        case file(String)
    }

    /// How long a successor may take to report ready before it is killed.
    public var waitChild: Duration = Runtime.Options.defaultWaitChild
    /// Stateful mode when above zero: how long a successor waits for its predecessor to
    /// finish before it accepts connections (and then kills it).
    public var waitParent: Duration = .zero
    /// Files whose change triggers a restart.
    public var watch: [WatchTarget] = []
    /// Whether the first process stays as a supervisor of the generations: by default
    /// where the first pid must stay (a terminal, PID 1).
    public var supervise: Supervision = .auto
}

/// `log:` — what the process logs and how.
public struct LogConfig: Sendable, Equatable {
    /// Line format.
    public enum Format: String, Sendable, CaseIterable {
        case text
        case json
    }

    /// An access log file's line format.
    public enum AccessFormat: String, Sendable, CaseIterable {
        /// nginx's `common`: `remote - - [time] "request" status bytes`.
        case common
        /// nginx's `combined`: `common` plus `"referer" "user agent"`.
        case combined
        /// One JSON object per request, with the time taken, the protocol, server and route.
        case json
    }

    /// The minimum level logged.
    public var level: Logger.Level = .info
    /// `text` or `json` lines.
    public var format: Format = .text
    /// Where the log goes: this file (reopened on SIGUSR1), or stderr when nil.
    public var file: String?
    /// Whether every request is logged.
    public var access: Bool = true
    /// Where access lines go: this file (reopened on SIGUSR1), or the log when nil.
    public var accessFile: String?
    /// The access file's line format.
    public var accessFormat: AccessFormat = .combined
}

/// One entry of `servers:`.
public struct ServerConfig: Sendable, Equatable {
    /// Unique name, used in logs and to match listeners across restarts.
    public var name: String
    /// Where it accepts connections.
    public var listen: [ListenerConfig]
    /// Its `timeouts:` and `limits:`, in the HTTP server's own type: the config only says
    /// what differs from that type's defaults, which live there alone.
    public var http: HTTPServerConfiguration
    /// Routes in file order; matching picks the longest path, not the first.
    public var routes: [RouteConfig]
    /// Where the server was declared.
    public var location: SourceLocation
    /// `headers:` — set and removed on every response of the server; a route's own override them.
    public var headers = ResponseHeaderRules()
    /// `error_pages:` — the pages that replace its plain-text error bodies.
    public var errorPages = ErrorPages()
    /// `hosts:` — the names it answers on the addresses it shares with other servers;
    /// empty for the default server of its addresses, which takes every other name.
    public var hosts: [ServerHost] = []

    /// What every response of the server, routed or not, goes through.
    public var amendment: ResponseAmendment { ResponseAmendment(headers: headers, errorPages: errorPages) }
}

/// One entry of a server's `hosts:`.
public struct ServerHost: Sendable, Equatable {
    /// The name or wildcard.
    public var pattern: HostPattern
    /// Where it is written.
    public var location: SourceLocation
}

/// One entry of a server's `listen:`.
public struct ListenerConfig: Sendable, Equatable {
    /// The default `listen(2)` backlog, as nginx uses on Linux.
    public static let defaultBacklog = 511

    /// What to bind.
    public var address: ListenAddress
    /// Name used to match an inherited socket (systemd `FileDescriptorName=`, restarts).
    public var name: String?
    /// `listen(2)` backlog.
    public var backlog: Int = ListenerConfig.defaultBacklog
    /// Permission bits of a unix socket file.
    public var mode: UInt32?
    /// HTTPS when set, plain HTTP otherwise.
    public var tls: TLSConfig?
    /// Where the listener was declared.
    public var location: SourceLocation
}

/// One entry of a server's `routes:`.
public struct RouteConfig: Sendable, Equatable {
    /// What a route does.
    public enum Action: Sendable, Equatable {
        case staticFiles(StaticConfig)
        case respond(RespondConfig)
        case redirect(RedirectConfig)
        case handler(HandlerConfig)
    }

    /// The path pattern: ending in `/` matches a subtree, otherwise exactly.
    public var path: String
    /// What it does.
    public var action: Action
    /// Where the route was declared.
    public var location: SourceLocation
    /// `headers:` — applied after the server's, so they override it name by name.
    public var headers = ResponseHeaderRules()
    /// `encode:` and its settings — on-the-fly compression; nil when off.
    public var encoding: EncodingSettings?
}

/// `static:` — serve files below a directory.
public struct StaticConfig: Sendable, Equatable {
    /// The directory served, absolute.
    public var root: String
    /// Files tried, in order, for a request naming a directory.
    public var index: [String] = ["index.html"]
    /// How symbolic links are treated.
    public var symlinks: SymlinkPolicy = .deny
    /// The `Cache-Control` header sent with files, if any.
    public var cacheControl: String?
    /// Whether dot-files such as `.env` may be served.
    public var hidden: Bool = false
    /// `fallback:` and `fallback_extensions:` — the file served for names that match none.
    public var fallback: StaticFallback?
    /// Whether a directory without an index file is listed.
    public var browse: Bool = false
    /// `precompressed:` — the codings whose sibling files are served, in order of preference.
    public var precompressed: [ContentCoding] = []
}

/// `respond:` — a fixed response.
public struct RespondConfig: Sendable, Equatable {
    /// The status code.
    public var status: Int = 200
    /// The body.
    public var body: String = ""
    /// Extra headers, in file order.
    public var headers: [(name: String, value: String)] = []
    /// The `Content-Type` of the body.
    public var contentType: String = "text/plain; charset=utf-8"

    /// Equal when status, body, content type and headers (in order) are.
    public static func == (lhs: RespondConfig, rhs: RespondConfig) -> Bool {
        lhs.status == rhs.status && lhs.body == rhs.body && lhs.contentType == rhs.contentType
            && lhs.headers.elementsEqual(rhs.headers) { $0.name == $1.name && $0.value == $1.value }
    }
}

/// `redirect:` — send the client elsewhere.
public struct RedirectConfig: Sendable, Equatable {
    /// Where to.
    public enum Target: Sendable, Equatable {
        /// `to:`, a URL or path; on a subtree route, a target ending in `/` gets the rest of
        /// the request path and the query appended.
        case url(String)
        /// `scheme:` (and `port:`): the request's own host, path and query under that scheme.
        case scheme(String, port: Int?)
    }

    /// Where to.
    public var target: Target
    /// A 3xx status code.
    public var status: Int = 302

    /// A redirect to `target`.
    public init(target: Target, status: Int = 302) {
        self.target = target
        self.status = status
    }

    /// A redirect to the URL or path `to`.
    public init(to: String, status: Int = 302) {
        self.init(target: .url(to), status: status)
    }
}

/// `handler:` — a named handler module with its options.
public struct HandlerConfig: Sendable, Equatable {
    /// The module's name.
    public var name: String
    /// The module's `options:`, validated by the module.
    public var options: ConfigNode?
}
