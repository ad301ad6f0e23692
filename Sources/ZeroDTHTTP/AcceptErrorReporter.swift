#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOCore

/// Decides how long accepting pauses after a failed accept and logs why, at most once
/// per `logInterval`: out of file descriptors (`EMFILE`), accept fails on every try, and a
/// line per failure would flood the log as surely as retrying at once spins a core.
final class AcceptErrorReporter {
    /// How long a listening channel waits before accepting again after a failed accept.
    static let backoff: TimeAmount = .milliseconds(250)
    /// At most one log line per this interval; the failures in between are counted in it.
    static let logInterval: TimeAmount = .seconds(10)

    private let logger: Logger
    private let serverName: String
    private var lastLogged: NIODeadline?
    private var suppressed = 0

    init(logger: Logger, serverName: String) {
        self.logger = logger
        self.serverName = serverName
    }

    /// The backoff for `error`, logging it unless a line went out within `logInterval`; nil
    /// (no pause, no log) for a failure that says nothing about the server, such as a client
    /// that gave up while waiting in the backlog (`ECONNABORTED`).
    func backoff(after error: IOError, now: NIODeadline = .now()) -> TimeAmount? {
        guard Self.isExhaustion(error.errnoCode) else { return nil }
        if let lastLogged, now - lastLogged < Self.logInterval {
            suppressed += 1
            return Self.backoff
        }
        var metadata: Logger.Metadata = ["server": "\(serverName)", "error": "\(error)"]
        if suppressed > 0 { metadata["repeated"] = "\(suppressed)" }
        let hint = error.errnoCode == EMFILE || error.errnoCode == ENFILE
            ? "; out of file descriptors: lower max_connections or raise the limit (ulimit -n, LimitNOFILE=)"
            : "; out of memory"
        logger.error("accept failed, pausing accepts for \(Self.backoff.nanoseconds / 1_000_000)ms\(hint)",
                     metadata: metadata)
        lastLogged = now
        suppressed = 0
        return Self.backoff
    }
}

extension AcceptErrorReporter {
    /// Out of descriptors or memory: the next accept fails the same way until something
    /// is freed. (NIO keeps the listening channel open for exactly these.)
    static func isExhaustion(_ errno: CInt) -> Bool {
        errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM
    }
}

@available(*, unavailable)
extension AcceptErrorReporter: Sendable {}
