extension HTTPResponse {
    /// 301 to the request's path with a trailing slash, query kept: for a directory asked
    /// for without its slash, and for a subtree route asked for without it.
    ///
    /// The `Location` is always a path on this host: it passes `RedirectLocation.guarded`,
    /// and an absolute-form target (`http://host/dir`) keeps only its path.
    static func redirectAddingSlash(uri: String, query: String?) -> HTTPResponse {
        var target = Substring(uri)
        if let question = target.utf8.firstIndex(of: UInt8(ascii: "?")) {
            target = target[..<question]
        }
        if target.first != "/", let colon = target.firstIndex(of: ":"), target[colon...].hasPrefix("://") {
            target = target[target.index(colon, offsetBy: 3)...].drop { $0 != "/" }
        }
        var location = RedirectLocation.guarded("/" + target + "/")
        if let query {
            location += "?" + query
        }
        return .error(.movedPermanently, headers: ["Location": location])
    }
}
