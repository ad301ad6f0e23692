import NIOHTTP1

/// The host name a request is for, as virtual hosts compare it: from the authority of an
/// absolute-form target when there is one (it wins over `Host`, RFC 9112 §3.2.2), else from
/// `Host` (which HTTP/2's `:authority` becomes); lower-cased, without the port or a
/// trailing dot.
enum RequestHost {
    /// The name `head` asks for; nil when it names none.
    static func name(of head: HTTPRequestHead) -> String? {
        if let authority = absoluteFormAuthority(head.uri) { return normalized(authority) }
        return head.headers.first(name: "host").flatMap { normalized(Substring($0)) }
    }

    /// `Example.COM.:8080` → `example.com`; `[::1]:80` → `[::1]`; nil when empty.
    static func normalized(_ authority: Substring) -> String? {
        var host = authority
        // Userinfo is not allowed in an http(s) target (RFC 9110 §4.2.4), but skip it
        // rather than take it for the host.
        if let at = host.utf8.lastIndex(of: UInt8(ascii: "@")) { host = host[host.index(after: at)...] }
        if host.utf8.first == UInt8(ascii: "[") {
            if let close = host.utf8.firstIndex(of: UInt8(ascii: "]")) { host = host[...close] }
        } else if let colon = host.utf8.firstIndex(of: UInt8(ascii: ":")) {
            host = host[..<colon]
        }
        if host.utf8.last == UInt8(ascii: ".") { host = host.dropLast() }
        guard !host.isEmpty else { return nil }
        return host.lowercased()
    }

    /// The authority of `http://authority/path`; nil for an origin-form target.
    private static func absoluteFormAuthority(_ uri: String) -> Substring? {
        guard uri.utf8.first != UInt8(ascii: "/"), let schemeEnd = uri.firstRange(of: "://") else { return nil }
        let rest = uri[schemeEnd.upperBound...]
        let end = rest.utf8.firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }
        return rest[..<(end ?? rest.endIndex)]
    }
}
