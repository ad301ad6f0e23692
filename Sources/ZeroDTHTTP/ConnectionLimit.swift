#if canImport(Glibc)
import Glibc
#endif

/// How many connections a server may hold open at once, given the process's limit on
/// open files: each connection takes a file descriptor, and so does every file being sent,
/// every listener and the event loops' own. A server that accepts up to the limit finds no
/// descriptor left to open a file (500s) and its accepts fail over and over.
public enum ConnectionLimit {
    /// `max_connections` when nothing caps it.
    public static let defaultMaximum = 10_000

    /// The soft `RLIMIT_NOFILE`, or nil when it is unlimited or cannot be read.
    public static func softFileLimit() -> Int? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max else {
            return nil
        }
        return Int(clamping: limit.rlim_cur)
    }

    /// The most connections that still leave descriptors for files, listeners and the
    /// runtime under `softFileLimit`: a quarter of it, and at least 64, are kept back.
    public static func safeMaximum(softFileLimit: Int) -> Int {
        max(1, softFileLimit - max(64, softFileLimit / 4))
    }

    /// `configured`, or when nil, `defaultMaximum` capped at `safeMaximum(softFileLimit:)`.
    public static func resolve(_ configured: Int?, softFileLimit: Int?) -> Int {
        if let configured { return configured }
        guard let softFileLimit else { return defaultMaximum }
        return min(defaultMaximum, safeMaximum(softFileLimit: softFileLimit))
    }
}
