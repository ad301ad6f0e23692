#if canImport(Glibc)
import Glibc
#endif

/// Shell wildcard patterns (`conf.d/*.yaml`), expanded by glob(3) as the shell would.
enum Glob {
    /// Whether `path` has a character glob(3) treats as a wildcard: `*`, `?` or `[`.
    static func hasWildcard(_ path: String) -> Bool {
        path.contains { $0 == "*" || $0 == "?" || $0 == "[" }
    }

    /// glob(3) stopped at a directory it could not read.
    struct Unreadable: Error {}

    /// The paths matching `pattern`, directories with a trailing `/`. They are sorted by
    /// Unicode scalars rather than by the locale's collation, so that the order of included
    /// files is the same whatever the locale. As in the shell, a wildcard does not match a
    /// leading `.`, which keeps editor files and Kubernetes' `..data` out.
    static func matches(_ pattern: String) -> Result<[String], Unreadable> {
        var found = glob_t()
        defer { globfree(&found) }
        switch glob(pattern, GLOB_ERR | GLOB_MARK, nil, &found) {
        case 0: break
        case GLOB_NOMATCH: return .success([])
        default: return .failure(Unreadable())
        }
        let paths = (0..<Int(found.gl_pathc)).compactMap { index in found.gl_pathv[index].map { String(cString: $0) } }
        return .success(paths.sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) })
    }
}
