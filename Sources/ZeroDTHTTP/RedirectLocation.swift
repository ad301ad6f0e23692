/// The guard every redirect's `Location` passes through, so that a path meant for this
/// host cannot be read by a browser as another host's address.
enum RedirectLocation {
    /// `location` unchanged when it is an absolute URL; when it is a path (it starts with `/`
    /// or `\`), the run of slashes and backslashes at its start folded into one `/`.
    ///
    /// Browsers read `//evil.example/x` and `/\evil.example/x` as the address of another
    /// host, and they drop tabs and line breaks anywhere in a URL first; so those are part
    /// of the run too. A path built from a request (`/legacy/\evil.example/x` redirected to
    /// `/` plus the rest) thus stays on this host.
    static func guarded(_ location: String) -> String {
        guard let first = location.utf8.first, first == UInt8(ascii: "/") || first == UInt8(ascii: "\\") else {
            return location
        }
        let rest = location.utf8.drop(while: isFolded)
        return "/" + String(Substring(rest))
    }

    private static func isFolded(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "/") || byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "\t")
            || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n")
    }
}
