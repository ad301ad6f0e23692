import Foundation
import NIOConcurrencyHelpers

/// How a child process ended.
struct ProcessStatus: Sendable, Equatable, CustomStringConvertible {
    var raw: Int32

    var description: String {
        let signal = raw & 0x7f
        if signal == 0 { return "exited with status \((raw >> 8) & 0xff)" }
        return "was killed by signal \(signal)\(raw & 0x80 != 0 ? " (core dumped)" : "")"
    }

    /// The exit status a shell would report: the code, or 128 plus the signal.
    var exitCode: Int32 {
        let signal = raw & 0x7f
        return signal == 0 ? (raw >> 8) & 0xff : 128 + signal
    }

    /// Reaps `pid` without blocking a cooperative thread: `waitpid` runs on a thread of its
    /// own. Returns nil when the task is cancelled first (a generation that exits leaves
    /// its successor running, and must not wait for it).
    static func reap(_ pid: pid_t) async -> ProcessStatus? {
        let waiter = OnceContinuation<ProcessStatus?>()
        return await withTaskCancellationHandler {
            await waiter.wait {
                Thread.detachNewThread {
                    var status: Int32 = 0
                    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                    waiter.resume(ProcessStatus(raw: status))
                }
            }
        } onCancel: {
            waiter.resume(nil)
        }
    }

    /// Waits until the child `pid` has ended, without reaping it (`WNOWAIT`), so that its pid
    /// cannot be reused before the caller reaps it with `reapNow`. Returns false when the
    /// task is cancelled first.
    static func waitUntilEnded(_ pid: pid_t) async -> Bool {
        let waiter = OnceContinuation<Bool>()
        return await withTaskCancellationHandler {
            await waiter.wait {
                Thread.detachNewThread {
                    var info = siginfo_t()
                    while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR {}
                    waiter.resume(true)
                }
            }
        } onCancel: {
            waiter.resume(false)
        }
    }

    /// Reaps the child `pid`, which has ended (`waitUntilEnded`).
    static func reapNow(_ pid: pid_t) -> ProcessStatus {
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) < 0 && errno == EINTR {}
        return ProcessStatus(raw: status)
    }

    /// Whether `pid` (a child of this process) has ended, without reaping it: a zombie or no
    /// process at all. Reaping stays with whoever waits in `reap`.
    static func hasEnded(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")")
        else { return true }
        // The state letter follows the command name, which is in parentheses and may hold spaces.
        return stat[close...].dropFirst(2).first == "Z"
    }
}

/// A continuation that the first of several racing parties resumes; later calls do nothing,
/// and a resume that comes before anyone waits is kept for the waiter.
final class OnceContinuation<Value: Sendable>: Sendable {
    private enum State {
        case idle
        case waiting(CheckedContinuation<Value, Never>)
        case resumed(Value)
        case done
    }

    private let state = NIOLockedValueBox(State.idle)

    /// Waits for the first `resume`; `start` runs once the waiter is in place.
    func wait(then start: () -> Void = {}) async -> Value {
        await withCheckedContinuation { continuation in
            let early: Value? = state.withLockedValue { state in
                if case .resumed(let value) = state {
                    state = .done
                    return value
                }
                state = .waiting(continuation)
                return nil
            }
            if let early {
                continuation.resume(returning: early)
            } else {
                start()
            }
        }
    }

    func resume(_ value: Value) {
        let continuation: CheckedContinuation<Value, Never>? = state.withLockedValue { state in
            switch state {
            case .idle:
                state = .resumed(value)
                return nil
            case .waiting(let continuation):
                state = .done
                return continuation
            case .resumed, .done:
                return nil
            }
        }
        continuation?.resume(returning: value)
    }
}
