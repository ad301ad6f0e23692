#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a listener accepts connections: a TCP host and port, or a unix socket path.
///
/// Written as `host:port`, `[v6]:port`, `:port` (every interface), or `unix:/path`.
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    private enum Wrapped: Sendable, Hashable {
        /// `host` is an IP literal; nil means every interface.
        case tcp(host: String?, port: Int)
        case unix(path: String)
    }

    private let wrapped: Wrapped

    /// The longest unix socket path `sockaddr_un` can hold, without its NUL.
    public static let maximumUnixPathLength = 107

    /// A TCP address. `host` is an IPv4 or IPv6 literal, or nil for every interface.
    public static func tcp(host: String?, port: Int) -> ListenAddress {
        ListenAddress(wrapped: .tcp(host: host, port: port))
    }

    /// A unix socket at `path`.
    public static func unix(path: String) -> ListenAddress {
        ListenAddress(wrapped: .unix(path: path))
    }

    /// The IP literal of a TCP address; nil for every interface or for a unix socket.
    public var host: String? {
        if case .tcp(let host, _) = wrapped { return host }
        return nil
    }

    /// The port of a TCP address.
    public var port: Int? {
        if case .tcp(_, let port) = wrapped { return port }
        return nil
    }

    /// The path of a unix socket address.
    public var unixPath: String? {
        if case .unix(let path) = wrapped { return path }
        return nil
    }

    /// True when the host is IPv6.
    public var isIPv6: Bool { host?.contains(":") ?? false }

    /// The canonical spelling, which `parse` accepts.
    public var description: String {
        switch wrapped {
        case .unix(let path): return "unix:\(path)"
        case .tcp(nil, let port): return ":\(port)"
        case .tcp(let host?, let port): return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        }
    }

    /// Whether two addresses cannot both be bound: the same unix path, or the same port
    /// where the hosts are equal or one of them is a wildcard.
    public func conflicts(with other: ListenAddress) -> Bool {
        switch (wrapped, other.wrapped) {
        case (.unix(let a), .unix(let b)):
            return Self.lexicallyNormalized(a) == Self.lexicallyNormalized(b)
        case (.tcp(let hostA, let portA), .tcp(let hostB, let portB)):
            guard portA == portB else { return false }
            let a = hostA.flatMap(Self.normalized)
            let b = hostB.flatMap(Self.normalized)
            return a == nil || b == nil || a == b
        default:
            return false
        }
    }

    /// Whether two addresses name the same socket: the same unix path, or the same port
    /// and the same host however spelt (every wildcard spelling counts as one).
    public func isSameSocket(as other: ListenAddress) -> Bool {
        switch (wrapped, other.wrapped) {
        case (.unix(let a), .unix(let b)):
            return Self.lexicallyNormalized(a) == Self.lexicallyNormalized(b)
        case (.tcp(let hostA, let portA), .tcp(let hostB, let portB)):
            return portA == portB && hostA.flatMap(Self.normalized) == hostB.flatMap(Self.normalized)
        default:
            return false
        }
    }

    /// Why a text is not a listen address.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        /// The explanation, lower-case, without the offending text.
        public var description: String
    }

    /// Parses `host:port`, `[v6]:port`, `:port` or `unix:/path`.
    ///
    /// `localhost` means 127.0.0.1, and `*` or `0.0.0.0` alone stay as given. Unix paths
    /// are returned as written; resolving a relative path is the caller's business.
    /// - Throws: `ParseError` saying what is wrong.
    public static func parse(_ text: String) throws(ParseError) -> ListenAddress {
        // inet_pton stops at a NUL, which would let "127.0.0.1\0junk:80" through as 127.0.0.1.
        guard !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw ParseError(description: "address contains a control character")
        }
        if text.hasPrefix("unix:") {
            let path = String(text.dropFirst("unix:".count))
            guard !path.isEmpty else { throw ParseError(description: "unix socket path is empty") }
            return .unix(path: path)
        }
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw ParseError(description: "missing ']' after IPv6 address")
            }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw ParseError(description: "expected ':PORT' after ']'") }
            portText = rest.dropFirst()
            guard Self.isIPv6(String(host)) else {
                throw ParseError(description: "'\(host)' is not an IPv6 address")
            }
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw ParseError(description: "expected HOST:PORT, :PORT or unix:PATH")
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") {
                throw ParseError(description: "IPv6 addresses must be in brackets, as in [::1]:8080")
            }
        }
        guard let port = Int(portText), portText.allSatisfy(\.isASCII), portText.first != "+" else {
            throw ParseError(description: "port '\(portText)' is not a number")
        }
        guard (1...65535).contains(port) else {
            throw ParseError(description: "port \(port) is out of range (1-65535)")
        }
        switch host {
        case "", "*": return .tcp(host: nil, port: port)
        case "localhost": return .tcp(host: "127.0.0.1", port: port)
        default:
            let hostString = String(host)
            if text.hasPrefix("[") || Self.isIPv4(hostString) { return .tcp(host: hostString, port: port) }
            throw ParseError(description: "'\(host)' is not an IP address (use an IPv4 literal, [IPv6], localhost or :PORT)")
        }
    }

    private static func isIPv4(_ text: String) -> Bool {
        var address = in_addr()
        return inet_pton(AF_INET, text, &address) == 1
    }

    private static func isIPv6(_ text: String) -> Bool {
        var address = in6_addr()
        return inet_pton(AF_INET6, text, &address) == 1
    }

    /// A spelling-independent form of an IP literal; nil for a wildcard address.
    /// `path` without `.` segments, empty segments and the segments `..` undoes, by its text
    /// alone (symbolic links are not followed): `/run/./a/../site.sock` is `/run/site.sock`.
    /// So a successor whose config spells a socket otherwise (or a release that spells it
    /// otherwise) still takes it over rather than binding it again.
    static func lexicallyNormalized(_ path: String) -> String {
        var segments: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch segment {
            case ".": continue
            case ".." where !segments.isEmpty && segments.last != "..": segments.removeLast()
            case "..": if !path.hasPrefix("/") { segments.append(segment) }
            default: segments.append(segment)
            }
        }
        let joined = segments.joined(separator: "/")
        return path.hasPrefix("/") ? "/" + joined : joined
    }

    private static func normalized(_ host: String) -> String? {
        if isIPv4(host) {
            return host == "0.0.0.0" ? nil : "4:" + canonical(host, family: AF_INET, size: MemoryLayout<in_addr>.size)
        }
        let form = canonical(host, family: AF_INET6, size: MemoryLayout<in6_addr>.size)
        return form == "::" ? nil : "6:" + form
    }

    private static func canonical(_ host: String, family: Int32, size: Int) -> String {
        var buffer = [UInt8](repeating: 0, count: 16)
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_pton(family, host, &buffer) == 1, inet_ntop(family, buffer, &text, socklen_t(text.count)) != nil else {
            return host
        }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
