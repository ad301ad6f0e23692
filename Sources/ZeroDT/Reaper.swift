#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Reaps every child of this process on a thread of its own, as PID 1 (or a subreaper)
/// must, and reports each with its status. With no child left it sleeps until `wake()`.
final class Reaper: Sendable {
    private let spawned = DispatchSemaphore(value: 0)

    /// Starts the thread; `report` is called on it.
    func start(report: @escaping @Sendable (Int32, ProcessStatus) -> Void) {
        Thread.detachNewThread { [spawned] in
            while true {
                var status: Int32 = 0
                let pid = waitpid(-1, &status, 0)
                if pid > 0 {
                    report(pid, ProcessStatus(raw: status))
                } else if errno == ECHILD {
                    spawned.wait()
                }
            }
        }
    }

    /// A child was started: there is something to wait for again.
    func wake() {
        spawned.signal()
    }
}
