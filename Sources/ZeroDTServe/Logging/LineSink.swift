import Foundation

/// Where whole log lines go: stderr, or a file (`LogFile`).
protocol LineSink: Sendable {
    /// Writes one line, which ends in a newline.
    func write(_ line: String)
    /// Opens the file again by its path (after logrotate moved it); nothing for stderr.
    func reopen()
    /// Waits, at most `timeout`, until every line written so far is out.
    func flush(timeout: Duration)
}

/// Serializes whole lines onto a file descriptor, so that lines from event loop threads
/// never interleave. For stderr, which is not reopened and rarely blocks for long.
final class LineWriter: LineSink {
    static let standardError = LineWriter(fd: 2)

    private let fd: Int32
    private let lock = NSLock()

    init(fd: Int32) {
        self.fd = fd
    }

    func write(_ line: String) {
        lock.lock()
        defer { lock.unlock() }
        Self.write(Array(line.utf8), to: fd)
    }

    func reopen() {}

    func flush(timeout: Duration) {}

    /// Writes all of `bytes` unless the fd fails.
    static func write(_ bytes: [UInt8], to fd: Int32) {
        var rest = bytes[...]
        while !rest.isEmpty {
            let written = rest.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            rest = rest.dropFirst(written)
        }
    }
}
