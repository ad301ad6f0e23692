/// One entry of a server's `hosts:`: an exact name (`example.com`) or a wildcard
/// (`*.example.com`, every name below `example.com`, at any depth, as in nginx — not
/// `example.com` itself). Names are ASCII, lower-cased; an internationalized name is given
/// in its punycode form (`xn--…`), as clients send it.
public enum HostPattern: Sendable, Hashable, CustomStringConvertible {
    /// This name only.
    case exact(String)
    /// Every name ending in this suffix, which starts with `.` (`.example.com`).
    case wildcard(suffix: String)

    /// Why a `hosts:` entry is not a host pattern.
    public struct Invalid: Error, Sendable, CustomStringConvertible {
        /// What is wrong, in one phrase.
        public var description: String
    }

    /// Parses `text`, lower-casing it; a trailing dot is dropped.
    /// - Throws: `Invalid` for a scheme, a port, a path, a `*` anywhere but a whole leading
    ///   label, an empty or over-long label, or a character outside letters, digits, `-`,
    ///   `_` and `.`.
    public init(parsing text: String) throws(Invalid) {
        // ASCII only: Unicode case folding would make `\u{212A}` (KELVIN SIGN) a `k`.
        var name = String(decoding: text.utf8.map(\.asciiLowercased), as: UTF8.self)
        if name.contains("://") { throw Invalid(description: "a host name takes no scheme") }
        if name.contains("/") { throw Invalid(description: "a host name takes no path") }
        if name.contains(":") || name.hasPrefix("[") {
            throw Invalid(description: "a host name takes no port (the listener has it) and may not be an IPv6 address")
        }
        if name.hasSuffix(".") { name.removeLast() }
        var wildcard = false
        if name.hasPrefix("*.") {
            wildcard = true
            name.removeFirst(2)
        }
        if name.contains("*") {
            throw Invalid(description: "a wildcard may only be the whole first label, as in '*.example.com'")
        }
        guard !name.isEmpty else { throw Invalid(description: "the name is empty") }
        guard name.utf8.count <= 253 else { throw Invalid(description: "a host name is at most 253 characters") }
        for label in name.split(separator: ".", omittingEmptySubsequences: false) {
            guard !label.isEmpty, label.utf8.count <= 63 else {
                throw Invalid(description: "each label between dots must be 1 to 63 characters")
            }
            guard label.unicodeScalars.allSatisfy(Self.isNameCharacter) else {
                throw Invalid(description: "only letters a-z, digits, '-' and '_' may appear between dots; "
                              + "write an internationalized name in its ASCII (punycode, xn--) form")
            }
        }
        self = wildcard ? .wildcard(suffix: "." + name) : .exact(name)
    }

    private static func isNameCharacter(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == "-" || scalar == "_"
    }

    /// Whether it matches `host`, a name as ``HostName/normalized(_:)`` returns it.
    public func matches(_ host: String) -> Bool {
        switch self {
        case .exact(let name): return host == name
        case .wildcard(let suffix): return host.utf8.count > suffix.utf8.count && host.hasSuffix(suffix)
        }
    }

    /// As written in a config: `example.com` or `*.example.com`.
    public var description: String {
        switch self {
        case .exact(let name): return name
        case .wildcard(let suffix): return "*" + suffix
        }
    }
}
