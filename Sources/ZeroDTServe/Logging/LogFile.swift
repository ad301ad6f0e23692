import Foundation
import ZeroDT

/// A log file written by a thread of its own, so that a slow disk never blocks an event
/// loop: lines wait in a bounded queue, and when it is full they are dropped and counted
/// (the count is written as a line of its own once there is room). `reopen()` opens the path
/// again, for logrotate's `postrotate` (SIGUSR1), as nginx does.
final class LogFile: LineSink, @unchecked Sendable {
    /// Queued bytes beyond which lines are dropped.
    static let queueLimit = 8 * 1024 * 1024

    /// Why a log file cannot be opened.
    struct OpenError: Error, CustomStringConvertible {
        var path: String
        var error: SystemError
        var description: String { "cannot open log file '\(path)': \(error)" }
    }

    let path: String
    // Everything below is guarded by `condition`.
    private let condition = NSCondition()
    private var fd: Int32
    private var queue: [String] = []
    private var queuedBytes = 0
    private var dropped = 0
    /// Set by `reopen()`: how many of the queued lines were logged before it, into the old file.
    private var reopenAfter: Int?
    /// Lines taken by the writer and not yet written.
    private var writing = false

    /// Opens `path` for appending (creating it, mode 0640) and starts the writer.
    /// - Throws: `OpenError` when it cannot be opened: reported at start, not lost later.
    init(path: String) throws(OpenError) {
        self.path = path
        fd = try Self.open(path)
        Thread.detachNewThread { [self] in run() }
    }

    private static func open(_ path: String) throws(OpenError) -> Int32 {
        do {
            return try Posix.call("open") { Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640) }
        } catch {
            throw OpenError(path: path, error: error)
        }
    }

    func write(_ line: String) {
        condition.lock()
        defer { condition.unlock() }
        guard queuedBytes + line.utf8.count <= Self.queueLimit else {
            dropped += 1
            return
        }
        queue.append(line)
        queuedBytes += line.utf8.count
        condition.signal()
    }

    func reopen() {
        condition.lock()
        if reopenAfter == nil { reopenAfter = queue.count }
        condition.signal()
        condition.unlock()
    }

    func flush(timeout: Duration) {
        let deadline = Date(timeIntervalSinceNow: Double(timeout.components.seconds)
                            + Double(timeout.components.attoseconds) / 1e18)
        condition.lock()
        defer { condition.unlock() }
        while (!queue.isEmpty || writing) && condition.wait(until: deadline) {}
    }

    private func run() {
        while true {
            condition.lock()
            while queue.isEmpty && reopenAfter == nil { condition.wait() }
            var lines = queue
            queue.removeAll(keepingCapacity: true)
            queuedBytes = 0
            if dropped > 0 {
                lines.append("\(LogTime.iso()) warning zerodt dropped \(dropped) log lines: the disk did not keep up\n")
                dropped = 0
            }
            let reopen = reopenAfter != nil
            let split = reopenAfter ?? lines.count
            reopenAfter = nil
            writing = true
            let fd = self.fd
            condition.unlock()

            // Lines logged before the reopen belong to the file they were logged into.
            LineWriter.write(Array(lines[..<split].joined().utf8), to: fd)
            var target = fd
            var reopenFailure: OpenError?
            if reopen {
                do {
                    target = try Self.open(path)
                    Posix.close(fd)
                } catch {
                    reopenFailure = error
                }
            }
            LineWriter.write(Array(lines[split...].joined().utf8), to: target)

            condition.lock()
            self.fd = target
            writing = false
            condition.broadcast()
            condition.unlock()
            // Where else could it go: the file is the log. Stderr still works, mostly.
            if let reopenFailure { LineWriter.standardError.write("\(LogTime.iso()) error \(reopenFailure); writing on to the old file\n") }
        }
    }
}
