import NIOHTTP1

/// Headers a server or route sets on, or removes from, every response it sends: the
/// `headers:` setting, nginx's `add_header … always` with replace semantics.
///
/// A set header replaces every field of that name the handler wrote; a removed one is
/// dropped. The names the connection writes itself (``serverOwned``) can be neither.
public struct ResponseHeaderRules: Sendable, Equatable {
    /// One header to set.
    public struct Field: Sendable, Equatable {
        /// The name as configured; matched case-insensitively.
        public var name: String
        /// The value, a valid RFC 9110 field value.
        public var value: String

        /// Creates a field.
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// Lower-cased names the connection writes or manages itself (`Date`, `Server`,
    /// `Content-Length`), that are connection-specific (RFC 9110 §7.6.1), or that describe
    /// the body's bytes as the handler made them (`Content-Encoding`, `Content-Range`):
    /// configuring one would duplicate it, break the framing or mislabel the body.
    public static let serverOwned: Set<String> = ResponseHead.connectionManaged.union([
        "keep-alive", "proxy-connection", "te", "upgrade", "trailer", "date", "server",
        "content-encoding", "content-range",
    ])

    /// Headers set, in order.
    public var setting: [Field]
    /// Names removed, lower-cased.
    public var removing: [String]

    /// Creates the rules; `remove` is matched case-insensitively.
    public init(set: [Field] = [], remove: [String] = []) {
        self.setting = set
        self.removing = remove.map { $0.lowercased() }
    }

    /// Whether the rules change nothing.
    public var isEmpty: Bool { setting.isEmpty && removing.isEmpty }

    /// These rules (a route's) applied after `outer` (its server's): a name this set or
    /// removes overrides what `outer` does with it.
    public func merged(over outer: ResponseHeaderRules) -> ResponseHeaderRules {
        let overridden = Set(setting.map { $0.name.lowercased() } + removing)
        return ResponseHeaderRules(set: outer.setting.filter { !overridden.contains($0.name.lowercased()) } + setting,
                                   remove: outer.removing.filter { !overridden.contains($0) } + removing)
    }

    /// Removes and replaces the configured headers in `headers`.
    func apply(to headers: inout HTTPHeaders) {
        for name in removing { headers.remove(name: name) }
        for field in setting { headers.replaceOrAdd(name: field.name, value: field.value) }
    }
}
