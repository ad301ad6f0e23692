import Foundation

/// How a child process ended.
struct ProcessStatus: Sendable, Equatable, CustomStringConvertible {
    var raw: Int32

    var description: String {
        let signal = raw & 0x7f
        if signal == 0 { return "exited with status \((raw >> 8) & 0xff)" }
        return "was killed by signal \(signal)\(raw & 0x80 != 0 ? " (core dumped)" : "")"
    }

    /// Reaps `pid` without blocking a cooperative thread: `waitpid` runs on a thread of its own.
    static func reap(_ pid: pid_t) async -> ProcessStatus {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var status: Int32 = 0
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                continuation.resume(returning: ProcessStatus(raw: status))
            }
        }
    }
}
