import Foundation
import Testing
@testable import ZeroDT

/// The spawn shim: what a successor starts with (DESIGN §5), and that starting it leaves the
/// parent as it was, now that the child shares the parent's memory until it execs.
@Suite struct SpawnTests {
    /// What `/bin/sh` reports about itself on fd 3, read to the end (bounded), and its exit.
    private struct Report {
        var lines: [String]
        var exitStatus: Int32?

        func value(_ name: String) -> String? {
            lines.first { $0.hasPrefix(name + "=") }.map { String($0.dropFirst(name.count + 1)) }
        }
    }

    /// Runs `script` in `/bin/sh` through `Spawn.start` with a pipe as fd 3 (plus `extraFDs`
    /// after it) and `environment`; returns the pid and what the script wrote to fd 3.
    private static func run(_ script: String, environment: [String: String] = [:], extraFDs: [Int32] = [],
                            setListenPID: Bool = true, nice: Int32? = nil) throws -> (pid: pid_t, report: Report) {
        var pipeFDs: [Int32] = [-1, -1]
        #expect(pipe(&pipeFDs) == 0)
        // Not inherited by what other tests spawn meanwhile: their children would hold it open.
        pipeFDs.forEach { _ = fcntl($0, F_SETFD, FD_CLOEXEC) }
        defer { close(pipeFDs[0]) }
        let pid: pid_t
        do {
            pid = try Spawn.start(path: "/bin/sh", arguments: ["sh", "-c", script], environment: environment,
                                  fds: [pipeFDs[1]] + extraFDs, setListenPID: setListenPID, nice: nice)
        } catch {
            close(pipeFDs[1])
            throw error
        }
        close(pipeFDs[1])
        var output = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            var poller = pollfd(fd: pipeFDs[0], events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 1000) >= 0 else { break }
            guard poller.revents != 0 else { continue }
            let count = read(pipeFDs[0], &buffer, buffer.count)
            if count <= 0 { break }
            output += buffer[..<count]
        }
        return (pid, Report(lines: String(decoding: output, as: UTF8.self).split(separator: "\n").map(String.init),
                            exitStatus: Self.reap(pid)))
    }

    /// Waits at most 10 s for `pid` to exit; kills it after that.
    private static func reap(_ pid: pid_t) -> Int32? {
        let deadline = ContinuousClock.now + .seconds(10)
        var status: Int32 = 0
        while ContinuousClock.now < deadline {
            if waitpid(pid, &status, WNOHANG) == pid { return (status >> 8) & 0xff }
            usleep(2_000)
        }
        kill(pid, SIGKILL)
        _ = waitpid(pid, &status, 0)
        return nil
    }

    // Builtins only: the shell reports on itself, the process the spawn started, on fd 3.
    private static let selfReport = """
        {
          echo "pid=$$"
          echo "listen_pid=$LISTEN_PID"
          echo "marker=$ZERODT_SPAWN_TEST"
          while read -r name value; do
            case "$name" in SigBlk:|SigIgn:) echo "${name%:}=$value" ;; esac
          done < /proc/$$/status
        } >&3
        """

    @Test func theChildHasItsOwnPidAsListenPidAnEmptyMaskAndOnlySIGUSR1Ignored() throws {
        let (pid, report) = try Self.run(Self.selfReport, environment: ["ZERODT_SPAWN_TEST": "here"])
        #expect(report.exitStatus == 0)
        #expect(report.value("pid") == String(pid))
        #expect(report.value("listen_pid") == String(pid))
        #expect(report.value("marker") == "here")
        #expect(report.value("SigBlk").flatMap { UInt64($0, radix: 16) } == 0)
        // Of the standard signals only SIGUSR1, until the new process traps it (CZeroDTSpawn.h);
        // glibc keeps its own real-time signals (32 and 33) out of anyone's reach.
        let standard: UInt64 = (1 << 31) - 1
        #expect(report.value("SigIgn").flatMap { UInt64($0, radix: 16) }.map { $0 & standard } == 1 << (UInt64(SIGUSR1) - 1))
    }

    @Test func onlyTheFdsHandedOverReachTheChild() throws {
        // Inheritable, as NIO opens its sockets, and placed high, out of the handed-over range.
        var leaked: [Int32] = [-1, -1]
        #expect(pipe(&leaked) == 0)
        let high = fcntl(leaked[0], F_DUPFD, 60)
        defer { [leaked[0], leaked[1], high].forEach { close($0) } }
        let (_, report) = try Self.run("""
            for fd in 3 4 \(leaked[0]) \(leaked[1]) \(high); do
              if [ -e /proc/$$/fd/$fd ]; then echo "open$fd=yes"; else echo "open$fd=no"; fi
            done >&3
            """, extraFDs: [leaked[1]])
        #expect(report.exitStatus == 0)
        #expect(report.value("open3") == "yes")
        #expect(report.value("open4") == "yes", "the second fd handed over, as fd 4")
        #expect(report.value("open\(high)") == "no")
        if leaked[0] > 4 { #expect(report.value("open\(leaked[0])") == "no") }
        if leaked[1] > 4 { #expect(report.value("open\(leaked[1])") == "no") }
    }

    /// The child resets every disposition before it execs: in the parent's memory, so the
    /// parent's own handlers must be untouched.
    @Test func theParentsSignalDispositionsAndMaskStayAsTheyWere() throws {
        var ignore = sigaction()
        ignore.__sigaction_handler.sa_handler = SIG_IGN
        var saved = sigaction()
        #expect(sigaction(SIGWINCH, &ignore, &saved) == 0)
        defer { sigaction(SIGWINCH, &saved, nil) }
        var maskBefore = sigset_t()
        pthread_sigmask(SIG_SETMASK, nil, &maskBefore)

        let (_, report) = try Self.run(Self.selfReport)
        #expect(report.exitStatus == 0)

        var now = sigaction()
        #expect(sigaction(SIGWINCH, nil, &now) == 0)
        #expect(unsafeBitCast(now.__sigaction_handler.sa_handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self))
        var maskAfter = sigset_t()
        pthread_sigmask(SIG_SETMASK, nil, &maskAfter)
        #expect(withUnsafeBytes(of: &maskBefore) { Array($0) } == withUnsafeBytes(of: &maskAfter) { Array($0) })
    }

    /// A successor's raised start (`StartupPriority`) goes through this; a higher nice value
    /// than the caller's needs no privilege, so any user can see it applied.
    @Test func theChildStartsAtTheNiceValueAskedForAndTheCallerKeepsItsOwn() throws {
        let own = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        let asked = min(19, own + 3)
        // Field 19 of stat is the nice value; the command name in field 2 holds no space here.
        let niceReport = "read -r line < /proc/$$/stat; set -- $line; shift 18; echo \"nice=$1\" >&3"
        let (_, report) = try Self.run(niceReport, nice: asked)
        #expect(report.exitStatus == 0)
        #expect(report.value("nice") == String(asked))
        #expect(getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) == own)

        let (_, unchanged) = try Self.run(niceReport)
        #expect(unchanged.value("nice") == String(own))
    }

    @Test func aFileThatCannotBeExecutedFailsWithTheChildsErrno() throws {
        do {
            _ = try Spawn.start(path: "/nonexistent/zerodt-serve", arguments: ["zerodt-serve"], environment: [:],
                                fds: [], setListenPID: false)
            Issue.record("spawned a file that does not exist")
        } catch {
            #expect(error.errno == ENOENT)
        }
    }
}
