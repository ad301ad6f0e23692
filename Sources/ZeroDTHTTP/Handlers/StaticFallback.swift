/// The file a static route serves, with 200, for a name that matches no file (`fallback:`),
/// so that a single-page app's own router sees every path of the app.
public struct StaticFallback: Sendable, Equatable {
    /// The file, relative to the root; opened under the same rules as any requested name.
    public var path: String
    /// Whether names whose last segment has an extension (`/missing.js`) fall back too;
    /// by default they stay 404, so that a missing asset is not answered with HTML.
    public var includesExtensions: Bool

    /// Creates a fallback to `path`.
    public init(path: String, includesExtensions: Bool = false) {
        self.path = path
        self.includesExtensions = includesExtensions
    }

    /// Whether a request for `name` (below the root) that found nothing gets the fallback.
    func applies(to name: Substring) -> Bool {
        if includesExtensions { return true }
        let last = name.split(separator: "/").last ?? ""
        // A leading dot names a hidden file, not an extension. A byte search: `contains(".")`
        // would be NSString's, with Foundation visible in this module (see RequestHeadCheck).
        return !last.dropFirst().utf8.contains(UInt8(ascii: "."))
    }
}
