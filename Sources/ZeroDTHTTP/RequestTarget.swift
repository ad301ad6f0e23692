/// The path and query of a request target, decoded once and normalized, which is what
/// routing and file lookup see.
struct RequestTarget: Equatable {
    /// Percent-decoded, dot segments resolved, starting with `/`.
    var path: String
    /// The raw query after `?`, if any.
    var query: String?

    /// Parses an origin-form target (`/a/b?x=1`) or an absolute-form one
    /// (`http://host/a`), as RFC 9112 requires servers to accept.
    /// - Returns: nil when the target is malformed: not starting with `/`, a bad or NUL
    ///   escape, or bytes that are not UTF-8 once decoded. The caller answers 400.
    init?(uri: String) {
        if Self.isPlainPath(uri) {
            path = uri
            query = nil
            return
        }
        // Byte searches: Character ones would run grapheme breaking on every request.
        var target = Substring(uri)
        if let hash = target.utf8.firstIndex(of: UInt8(ascii: "#")) { target = target[..<hash] }
        if target.utf8.first != UInt8(ascii: "/") {
            guard let schemeEnd = target.firstRange(of: "://") else { return nil }
            let afterScheme = target[schemeEnd.upperBound...]
            target = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" }).map { afterScheme[$0...] } ?? "/"
            if target.hasPrefix("?") { target = "/" + target }
        }
        var rawPath = target
        if let question = target.utf8.firstIndex(of: UInt8(ascii: "?")) {
            rawPath = target[..<question]
            query = String(target[target.index(after: question)...])
        } else {
            query = nil
        }
        guard let decoded = Self.percentDecode(rawPath) else { return nil }
        path = Self.removeDotSegments(decoded)
    }

    /// Whether `uri` is already a normalized path, as most targets are: `/`, then no `?`,
    /// `#`, `%`, NUL, `/.` or `//`. One pass over a `String`'s contiguous bytes, where the
    /// general parse makes several over a `Substring`'s (and iterating a `String.UTF8View`
    /// calls a protocol witness a byte), which cost more.
    private static func isPlainPath(_ uri: String) -> Bool {
        var uri = uri
        return uri.withUTF8 { bytes in
            guard bytes.first == UInt8(ascii: "/") else { return false }
            var afterSlash = false
            for byte in bytes {
                switch byte {
                case UInt8(ascii: "?"), UInt8(ascii: "#"), UInt8(ascii: "%"), 0: return false
                case UInt8(ascii: "/"):
                    if afterSlash { return false }
                    afterSlash = true
                case UInt8(ascii: "."):
                    if afterSlash { return false }
                default: afterSlash = false
                }
            }
            return true
        }
    }

    private static func percentDecode(_ text: Substring) -> String? {
        let utf8 = text.utf8
        guard utf8.contains(UInt8(ascii: "%")) else {
            return utf8.contains(0) ? nil : String(text)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count)
        var index = utf8.startIndex
        while index != utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: "%") {
                let first = utf8.index(after: index)
                guard first != utf8.endIndex else { return nil }
                let second = utf8.index(after: first)
                guard second != utf8.endIndex, let high = hexValue(utf8[first]), let low = hexValue(utf8[second]) else {
                    return nil
                }
                bytes.append(high << 4 | low)
                index = utf8.index(after: second)
            } else {
                bytes.append(byte)
                index = utf8.index(after: index)
            }
        }
        guard !bytes.contains(0) else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// Whether `path` has a `/.` or `//` — one pass over the bytes, since this runs for
    /// every request and almost never finds anything.
    private static func needsNormalizing(_ path: String) -> Bool {
        var afterSlash = false
        for byte in path.utf8 {
            if afterSlash && (byte == UInt8(ascii: ".") || byte == UInt8(ascii: "/")) { return true }
            afterSlash = byte == UInt8(ascii: "/")
        }
        return false
    }

    /// RFC 3986 §5.2.4 on an absolute path; `..` never climbs above `/`. Empty segments
    /// collapse, so `//a` and `/a` name the same file.
    static func removeDotSegments(_ path: String) -> String {
        guard needsNormalizing(path) else { return path }
        var output: [Substring] = []
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        for segment in segments {
            switch segment {
            case ".", "": continue
            case "..": _ = output.popLast()
            default: output.append(segment)
            }
        }
        let last = segments.last
        let trailingSlash = last == "" || last == "." || last == ".."
        let joined = "/" + output.joined(separator: "/")
        return trailingSlash && !output.isEmpty ? joined + "/" : joined
    }
}
