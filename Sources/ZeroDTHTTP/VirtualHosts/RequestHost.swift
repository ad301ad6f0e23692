#if canImport(Glibc)
import Glibc
#endif

/// The host a request is for, as everything that needs it sees it — routing, the 421 check,
/// the scheme redirect and which server logs the request: from the authority of an
/// absolute-form target when there is one (it wins over `Host`, RFC 9112 §3.2.2), else from
/// `Host` (which HTTP/2's `:authority` becomes). One strict parser, so that no two of them
/// can read one request as two hosts.
enum RequestHost {
    /// What a request says about its host.
    enum Lookup: Equatable {
        /// This name: ASCII, lower-cased, without the port or a trailing dot; an IPv6
        /// literal keeps its brackets (`[::1]`).
        case name(String)
        /// None: an HTTP/1.0 request without `Host` and an origin-form target.
        case none
        /// A `Host` or target authority that is not RFC 3986's `host [ ":" port ]`: 400
        /// (RFC 9112 §3.2).
        case invalid
    }

    /// The host named by a request with target `uri` and `Host` value `host`. A `Host` that
    /// is present must be valid even when an absolute-form target makes it ignored.
    static func lookup(uri: String, host: String?) -> Lookup {
        var lookup = Lookup.none
        if let host {
            guard let name = plainName(host) ?? name(ofAuthority: Substring(host)) else { return .invalid }
            lookup = .name(name)
        }
        if let authority = absoluteFormAuthority(uri) {
            return name(ofAuthority: authority).map(Lookup.name) ?? .invalid
        }
        return lookup
    }

    /// The longest host name accepted (a DNS name has at most 253 characters).
    static let maxNameLength = 255

    /// `Example.COM.:8080` → `example.com`; `[::1]:80` → `[::1]`; nil for anything that is
    /// not `host [ ":" port ]` after the optional whitespace around a field value (RFC 9110
    /// §5.5): an empty host, userinfo, a port that is not digits up to 65535, a path, a
    /// non-ASCII byte, a name over ``maxNameLength`` bytes. The name may be RFC 3986's reg-name (unreserved
    /// characters and sub-delims; no percent-escapes, which no served name contains), an
    /// IPv4 address, or a bracketed IPv6 address. Lower-cased byte by byte, ASCII only: no
    /// Unicode case folding can make `\u{212A}` (KELVIN SIGN) a `k`.
    static func name(ofAuthority authority: Substring) -> String? {
        let bytes = authority.utf8.trimmingOptionalWhitespace()
        guard let first = bytes.first else { return nil }
        var name: Substring.UTF8View.SubSequence
        let rest: Substring.UTF8View.SubSequence
        if first == UInt8(ascii: "[") {
            guard let close = bytes.firstIndex(of: UInt8(ascii: "]")),
                  isIPv6(bytes[bytes.index(after: bytes.startIndex)..<close]) else { return nil }
            name = bytes[...close]
            rest = bytes[bytes.index(after: close)...]
        } else {
            let colon = bytes.firstIndex(of: UInt8(ascii: ":")) ?? bytes.endIndex
            name = bytes[..<colon]
            rest = bytes[colon...]
            guard name.allSatisfy(isRegNameByte) else { return nil }
            if name.last == UInt8(ascii: ".") { name = name.dropLast() }
        }
        guard !name.isEmpty, name.count <= maxNameLength,
              rest.isEmpty || (rest.first == UInt8(ascii: ":") && isPort(rest.dropFirst())) else {
            return nil
        }
        // Clients send lower case: copying the bytes as they are is the common, cheap case.
        guard name.contains(where: { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }) else {
            return String(Substring(name))
        }
        return String(decoding: name.map(\.asciiLowercased), as: UTF8.self)
    }

    /// `host` read as ``name(ofAuthority:)`` reads it when it is what nearly every request
    /// sends (``plainNameLength(_:)``): in one pass over a `String`'s contiguous bytes, where
    /// the general reading makes several over a `Substring`'s (and iterating a
    /// `String.UTF8View` calls a protocol witness a byte), which cost more. Nil for anything
    /// else, which the general reading takes or refuses.
    static func plainName(_ host: String) -> String? {
        var host = host
        guard let end = host.withUTF8(plainNameLength) else { return nil }
        guard end < host.utf8.count else { return host }
        // From the bytes: through `Substring` the copy cost more than the whole check.
        return host.withUTF8 { String(decoding: UnsafeBufferPointer(rebasing: $0[..<end]), as: UTF8.self) }
    }

    /// The length of the name in `host`, a `Host` value as nearly every request sends it: a
    /// lower-case name or IPv4 address and maybe a port. Those first bytes are then the name
    /// ``name(ofAuthority:)`` reads, as they are. Nil for anything else (whitespace, capitals,
    /// a trailing dot, brackets, a bad port).
    static func plainNameLength(_ host: UnsafeBufferPointer<UInt8>) -> Int? {
        var end = 0
        while end < host.count, isPlainNameByte(host[end]) { end += 1 }
        guard end > 0, end <= maxNameLength, host[end - 1] != UInt8(ascii: "."),
              end == host.count || host[end] == UInt8(ascii: ":") else { return nil }
        return isPort(host[min(end + 1, host.count)...]) ? end : nil
    }

    /// A byte of a reg-name (``isRegNameByte(_:)``) that is not a capital: a bit in one of
    /// two masks of 64 bytes each, as this runs for every byte of every `Host`
    /// (`plainNameMasksAreTheRegNameBytesButCapitals` holds them to `isRegNameByte`).
    @inline(__always)
    static func isPlainNameByte(_ byte: UInt8) -> Bool {
        let mask: UInt64 = byte < 64 ? 0x2bff_7fd2_0000_0000 : 0x47ff_fffe_8000_0000
        return byte < 128 && (mask >> UInt64(byte & 63)) & 1 == 1
    }

    /// RFC 3986 unreserved characters and sub-delims. (Ranges, not a search of a string of
    /// them: this runs for every byte of every `Host`.)
    static func isRegNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        // ! $ & to . (no %) digits ; = letters _ ~
        case 0x21, 0x24, 0x26...0x2E, 0x30...0x39, 0x3B, 0x3D, 0x41...0x5A, 0x5F, 0x61...0x7A, 0x7E: return true
        default: return false
        }
    }

    /// RFC 3986 allows any run of digits, empty too, leading zeros as many as it likes
    /// (`000080` is 80, as nginx reads it); more than 65535 names no TCP port.
    private static func isPort(_ digits: some Collection<UInt8>) -> Bool {
        // One pass: this runs for the port of every `Host`. Stopping as soon as the value
        // passes 65535 keeps it from overflowing however many digits come.
        var port = 0
        for digit in digits {
            guard isDigit(digit) else { return false }
            port = port * 10 + Int(digit - UInt8(ascii: "0"))
            guard port <= 65535 else { return false }
        }
        return true
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    private static func isIPv6(_ literal: Substring.UTF8View.SubSequence) -> Bool {
        // inet_pton reads a C string: a NUL would end it early.
        guard literal.count <= 45, !literal.contains(0) else { return false }
        var address = in6_addr()
        return inet_pton(AF_INET6, String(decoding: literal, as: UTF8.self), &address) == 1
    }

    /// The authority of `http://authority/path`; nil for an origin-form target.
    private static func absoluteFormAuthority(_ uri: String) -> Substring? {
        guard uri.utf8.first != UInt8(ascii: "/"), let schemeEnd = uri.firstRange(of: "://") else { return nil }
        let rest = uri[schemeEnd.upperBound...]
        let end = rest.utf8.firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }
        return rest[..<(end ?? rest.endIndex)]
    }
}
