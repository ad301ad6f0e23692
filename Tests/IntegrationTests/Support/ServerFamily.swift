import Foundation
import Testing

/// A `zerodt-serve` and the generations that succeed it, followed through the pid file.
/// The first generation is the process the test started; later ones are its descendants,
/// which the test may signal. Every generation still running when the first one's
/// `RunningProcess` is released is killed (`RunningProcess.kill()`), so a failing test
/// leaves no server behind.
final class ServerFamily {
    let site: TestSite
    let first: RunningProcess
    let pidFile: String

    init(site: TestSite, first: RunningProcess, pidFile: String) {
        self.site = site
        self.first = first
        self.pidFile = pidFile
    }

    /// The pid in the pid file, if it names a live process.
    var currentPID: Int32? {
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
              let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), isAlive(pid)
        else { return nil }
        return pid
    }

    /// Every generation's stderr: they all inherited the first one's.
    var log: String { first.standardError }

    /// Sends SIGHUP to the current generation and waits until a new pid is current and the
    /// previous one has exited.
    /// - Returns: the new pid.
    @discardableResult
    func restart(timeout: Duration = .seconds(20)) throws -> Int32 {
        guard let old = currentPID else { throw ProcessTestError(description: "no live pid in \(pidFile)") }
        kill(old, SIGHUP)
        guard let new = poll(timeout: timeout, { currentPID.flatMap { $0 != old ? $0 : nil } }) else {
            throw ProcessTestError(description: "no new generation took over from \(old) within \(timeout):\n\(log)")
        }
        try waitForExit(of: old, timeout: timeout)
        return new
    }

    /// Waits until `pid` no longer exists (a generation that is not our child cannot be reaped
    /// by us; its own parent, or init, does that).
    func waitForExit(of pid: Int32, timeout: Duration = .seconds(20)) throws {
        // The first generation is our child: it is gone once reaped. Its stderr stays open in
        // its successors, so `RunningProcess.waitForExit` would wait for them too.
        let gone: () -> Bool? = pid == first.pid ? { self.first.isRunning ? nil : true } : { isAlive(pid) ? nil : true }
        guard poll(timeout: timeout, gone) != nil else {
            throw ProcessTestError(description: "pid \(pid) still running after \(timeout):\n\(log)")
        }
    }

    /// Stops the current generation gracefully and waits for it to exit.
    func stop(timeout: Duration = .seconds(20)) throws {
        guard let pid = currentPID else { return }
        kill(pid, SIGTERM)
        try waitForExit(of: pid, timeout: timeout)
    }

    /// Number of live processes running this family's config.
    var processCount: Int {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.filter { entry in
            guard let pid = Int32(entry), isAlive(pid),
                  let cmdline = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return false }
            return String(decoding: cmdline, as: UTF8.self).contains(site.configFile)
        }.count
    }
}

/// Whether `pid` runs. A generation whose parent has exited is reparented to pid 1, which
/// in some sandboxes never reaps it: a zombie counts as gone.
func isAlive(_ pid: Int32) -> Bool {
    guard kill(pid, 0) == 0 else { return false }
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")")
    else { return false }
    return stat[stat.index(close, offsetBy: 2)] != "Z"
}

/// Calls `condition` every 20 ms until it returns a value or `timeout` passes.
func poll<T>(timeout: Duration, _ condition: () -> T?) -> T? {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if let value = condition() { return value }
        usleep(20_000)
    }
    return condition()
}
