import Foundation
import Testing

/// Supervisor mode (`restart.supervise`) through the real binary: as PID 1 of a pid
/// namespace, as a container runs it, and in a terminal. The first process must stay, pass
/// signals on, outlive every reload, and bring a killed generation back on the same sockets.
@Suite(.serialized) struct SupervisorTests {
    /// A site serving `RestartTests.body` on a free port.
    static func site(extra: String = "") throws -> (TestSite, TestAddress) {
        let site = try TestSite()
        let address = TestAddress.tcp(host: "127.0.0.1", port: try LoopbackPort.free())
        try RestartTests.config(address, pidFile: site.path("run.pid"), extra: extra)
            .write(toFile: site.configFile, atomically: true, encoding: .utf8)
        return (site, address)
    }

    /// Starts `zerodt-serve` as PID 1 of a new pid namespace and returns `unshare` and the
    /// supervisor's pid as seen from here, once generation 1 serves.
    static func startAsPID1(_ site: TestSite) throws -> (unshare: RunningProcess, supervisor: Int32) {
        // Say plainly what is missing, rather than time out waiting for a server.
        let probe = try RunningProcess.run("/usr/bin/unshare", arguments: ["--fork", "--pid", "--mount-proc", "true"])
        guard probe.status == 0, !probe.signalled else {
            throw ProcessTestError(description: "these tests need `unshare --pid` (root or CAP_SYS_ADMIN): \(probe)")
        }
        let unshare = try RunningProcess(executable: "/usr/bin/unshare",
                                         arguments: ["--fork", "--pid", "--mount-proc", try ZeroDTServeBinary.path(),
                                                     "--config", site.configFile],
                                         currentDirectory: site.directory)
        try unshare.waitForStandardError(containing: "] ready ")
        guard let supervisor = ProcessTree.children(of: unshare.pid).first else {
            throw ProcessTestError(description: "unshare has no child:\n\(unshare.standardError)")
        }
        #expect(unshare.standardError.contains("[supervisor pid 1] supervising"), "\(unshare.standardError)")
        return (unshare, supervisor)
    }

    /// Sends SIGHUP to the supervisor and waits until generation `generation` is ready and
    /// (unless told otherwise) the one before it has exited, leaving one under the supervisor.
    static func reload(_ supervisor: Int32, to generation: Int, log: RunningProcess, waitForOldToExit: Bool = true) throws {
        kill(supervisor, SIGHUP)
        try log.waitForStandardError(toSatisfy: "say generation \(generation) is ready", timeout: .seconds(20)) {
            hasLine($0, "[gen \(generation) pid ", "] ready ")
        }
        if waitForOldToExit { try waitForOneGeneration(under: supervisor, log: log) }
    }

    static func waitForOneGeneration(under supervisor: Int32, log: RunningProcess) throws {
        guard poll(timeout: .seconds(20), { ProcessTree.descendants(of: supervisor).count == 1 ? true : nil }) != nil
        else {
            throw ProcessTestError(description: "generations under \(supervisor): "
                                   + "\(ProcessTree.descendants(of: supervisor))\n\(log.standardError)")
        }
    }

    /// Whether one line of `log` contains every one of `parts`.
    static func hasLine(_ log: String, _ parts: String...) -> Bool {
        log.split(separator: "\n").contains { line in parts.allSatisfy { line.contains($0) } }
    }

    /// Processes still running `site`'s config, wherever they are in the tree.
    static func processes(of site: TestSite) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard isAlive(pid), let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else {
                return false
            }
            return String(decoding: cmdline, as: UTF8.self).contains(site.configFile)
        }
    }

    @Test func asPID1TenReloadsUnderLoadLoseNothingAndSIGTERMStopsEverything() throws {
        let (site, address) = try Self.site()
        let (unshare, supervisor) = try Self.startAsPID1(site)
        try RestartTests.underLoad(address) {
            for generation in 2...11 { try Self.reload(supervisor, to: generation, log: unshare) }
        }
        kill(supervisor, SIGTERM)
        let output = try unshare.waitForExit(timeout: .seconds(20))
        #expect(!output.signalled && output.status == 0, "\(output)")
        // It waited for the generation's drain (the kernel would kill what PID 1 leaves).
        #expect(Self.hasLine(output.standardError, "[gen 11 pid ", "] stopped"), "\(output)")
        #expect(output.standardError.contains("[supervisor pid 1] exiting with status 0"), "\(output)")
    }

    @Test func asPID1AKilledGenerationIsReplacedOnTheSameSocketsWithNothingRefused() throws {
        let (site, address) = try Self.site()
        let (unshare, supervisor) = try Self.startAsPID1(site)
        var recoveries: [Duration] = []
        try RestartTests.underLoad(address, inFlightMayFail: true) {
            for generation in 2...3 {
                guard let serving = ProcessTree.children(of: supervisor).first else {
                    throw ProcessTestError(description: "no generation under the supervisor")
                }
                let killed = ContinuousClock.now
                kill(serving, SIGKILL)
                try unshare.waitForStandardError(toSatisfy: "say generation \(generation) is ready") {
                    Self.hasLine($0, "[gen \(generation) pid ", "] ready ")
                }
                recoveries.append(ContinuousClock.now - killed)
            }
        }
        print("recovery after SIGKILL: \(recoveries)")
        // The second start waits out the first backoff step (250ms).
        #expect(recoveries.count == 2 && recoveries[0] < .seconds(1) && recoveries[1] < .milliseconds(1250),
                "a new generation served only \(recoveries) after the kill")
        let log = unshare.standardError
        #expect(Self.hasLine(log, "[supervisor pid 1] generation 1 (pid ", ") was killed by signal 9"), "\(log)")
        #expect(Self.hasLine(log, "ended without a hand-over; starting generation 2 on the same sockets"), "\(log)")
        // Killed again before it served for long: the next start waits.
        #expect(Self.hasLine(log, "(2 in a row ended early); starting generation 3 on the same sockets in 250ms"), "\(log)")
        kill(supervisor, SIGTERM)
        let output = try unshare.waitForExit(timeout: .seconds(20))
        #expect(!output.signalled && output.status == 0, "\(output)")
        #expect(Self.hasLine(output.standardError, "[gen 3 pid ", "] stopped"), "\(output)")
    }

    @Test func inATerminalCtrlCStopsEverythingAfterReloads() throws {
        let (site, address) = try Self.site()
        let terminal = try PseudoTerminal()
        let first = try ZeroDTServeBinary.start(["--config", site.configFile], currentDirectory: site.directory,
                                                standardInput: terminal.terminal)
        try first.waitForStandardError(containing: "] ready ")
        #expect(first.standardError.contains("[supervisor pid \(first.pid)] supervising"), "\(first.standardError)")
        for generation in 2...4 { try Self.reload(first.pid, to: generation, log: first) }
        #expect(try ServeTests.get("/hello", from: address).text == RestartTests.body)
        // A terminal's Ctrl-C goes to the foreground process group: the supervisor's alone.
        let serving = try #require(ProcessTree.children(of: first.pid).first)
        #expect(ProcessTree.group(of: serving) != ProcessTree.group(of: first.pid))
        first.send(SIGINT)
        let output = try first.waitForExit(timeout: .seconds(20))
        #expect(!output.signalled && output.status == 0, "\(output)")
        #expect(Self.hasLine(output.standardError, "[gen 4 pid ", "] stopping: draining connections"), "\(output)")
        #expect(Self.processes(of: site).isEmpty)
    }

    @Test func neverKeepsTheFirstProcessAGenerationEvenInATerminal() throws {
        let (site, _) = try Self.site(extra: "restart: { supervise: never }")
        let terminal = try PseudoTerminal()
        let first = try ZeroDTServeBinary.start(["--config", site.configFile], currentDirectory: site.directory,
                                                standardInput: terminal.terminal)
        try first.waitForStandardError(containing: "] ready ")
        #expect(first.standardError.contains("[gen 1 pid \(first.pid)] ready"), "\(first.standardError)")
        first.send(SIGTERM)
        #expect(try first.waitForExit().status == 0)
    }

    @Test func alwaysSupervisesWithoutATerminalAndQuitEndsEveryGenerationAtOnce() throws {
        let (site, address) = try Self.site(extra: "restart: { supervise: always }")
        let first = try ZeroDTServeBinary.start(["--config", site.configFile], currentDirectory: site.directory)
        try first.waitForStandardError(containing: "] ready ")
        #expect(first.standardError.contains("[supervisor pid \(first.pid)] supervising"), "\(first.standardError)")
        // A keep-alive connection gives the drain something to wait for (`drain_grace`): with
        // none, a generation could finish its empty drain before it read the second stop, and
        // rightly exit 0 with nothing cut short (1 run in 4 under load).
        let kept = try HTTPTestClient(connectingTo: address)
        #expect(try kept.exchange("GET /hello HTTP/1.1\r\nHost: test\r\n\r\n").status == 200)
        first.send(SIGQUIT)
        let output = try first.waitForExit(timeout: .seconds(20))
        // The status of the generation that SIGQUIT ended: 1, for a drain cut short.
        #expect(!output.signalled && output.status == 1, "\(output)")
        #expect(Self.hasLine(output.standardError, "[gen 1 pid ", "] second stop signal: exiting without finishing the drain"),
                "\(output)")
        #expect(Self.processes(of: site).isEmpty)
    }

    @Test func aSignalRightAfterStartWaitsUntilGenerationOneHandlesIt() throws {
        let (site, _) = try Self.site(extra: "restart: { supervise: always }")
        let first = try ZeroDTServeBinary.start(["--config", site.configFile], currentDirectory: site.directory)
        // Generation 1 is being spawned now: a signal passed on at once would kill it.
        try first.waitForStandardError(containing: "] supervising")
        first.send(SIGHUP)
        try first.waitForStandardError(toSatisfy: "say generation 2 is ready") { Self.hasLine($0, "[gen 2 pid ", "] ready ") }
        #expect(!first.standardError.contains("killed by signal"), "\(first.standardError)")
        first.send(SIGTERM)
        let output = try first.waitForExit(timeout: .seconds(20))
        #expect(!output.signalled && output.status == 0, "\(output)")
    }

    @Test func theStopCommandEndsTheSupervisorToo() throws {
        let (site, _) = try Self.site(extra: "restart: { supervise: always }\ncontrol: control.sock")
        let first = try ZeroDTServeBinary.start(["--config", site.configFile], currentDirectory: site.directory)
        try first.waitForStandardError(containing: "] ready ")
        let stop = try ZeroDTServeBinary.run(["stop", "--config", site.configFile], currentDirectory: site.directory)
        #expect(stop.status == 0, "\(stop)")
        let output = try first.waitForExit(timeout: .seconds(20))
        #expect(!output.signalled && output.status == 0, "\(output)")
        #expect(!output.standardError.contains("ended without a hand-over"), "\(output)")
    }

    @Test func aSecondStopCutsAnOlderGenerationsDrainShortToo() throws {
        let site = try TestSite()
        let address = TestAddress.tcp(host: "127.0.0.1", port: try LoopbackPort.free())
        try RestartTests.config(address, pidFile: site.path("run.pid"), extra: "restart: { supervise: always }",
                                drainGrace: "10s")
            .replacingOccurrences(of: "shutdown: 10s", with: "shutdown: 60s")
            .write(toFile: site.configFile, atomically: true, encoding: .utf8)
        let first = try ZeroDTServeBinary.start(["--config", site.configFile], currentDirectory: site.directory)
        try first.waitForStandardError(containing: "] ready ")
        // Generation 1 keeps a request in flight (its body is still to come) after the restart.
        let slow = try HTTPTestClient(connectingTo: address)
        try slow.send("POST /hello HTTP/1.1\r\nHost: test\r\nContent-Length: 6\r\n\r\nabc")
        try Self.reload(first.pid, to: 2, log: first, waitForOldToExit: false)
        first.send(SIGINT)
        // Both generations must have handled the first: the kernel merges a signal that is
        // still pending with the same one sent again.
        try first.waitForStandardError(toSatisfy: "say both generations began stopping") {
            Self.hasLine($0, "[gen 2 pid ", "] stopping: draining connections")
                && Self.hasLine($0, "[gen 1 pid ", "] stop requested: finishing the drain already under way")
        }
        let second = ContinuousClock.now
        first.send(SIGINT)
        let output = try first.waitForExit(timeout: .seconds(20))
        #expect(ContinuousClock.now - second < .seconds(10), "generation 1's drain ran on: \(output)")
        #expect(!output.signalled && output.status == 1, "\(output)")
        #expect(Self.hasLine(output.standardError, "[gen 1 pid ", "] second stop signal"), "\(output)")
    }

    @Test func aSecondRestartDuringAHandOverIsNotLost() throws {
        let (site, _) = try Self.site(extra: "restart: { supervise: always }")
        let first = try ZeroDTServeBinary.start(["--config", site.configFile], currentDirectory: site.directory)
        try first.waitForStandardError(containing: "] ready ")
        for round in 0..<5 {
            first.send(SIGHUP)
            // Two restarts are owed only once the first SIGHUP has been handled: one sent
            // while the same is still pending in a process (the supervisor, or the generation
            // it passes both to) is merged with it by the kernel, and one restart after both
            // is all they ask for.
            try first.waitForStandardError(toSatisfy: "say generation \(1 + 2 * round) began a restart") {
                Self.hasLine($0, "[gen \(1 + 2 * round) pid ", "] restart requested")
            }
            // Mid hand-over: the old generation still serves, or has just passed it on, or has
            // gone (and the supervisor must know where the hand-over led).
            usleep(useconds_t(15_000 + round * 8_000))
            first.send(SIGHUP)
            try first.waitForStandardError(toSatisfy: "say generation \(3 + 2 * round) is ready", timeout: .seconds(20)) {
                Self.hasLine($0, "[gen \(3 + 2 * round) pid ", "] ready ")
            }
            try Self.waitForOneGeneration(under: first.pid, log: first)
        }
        first.send(SIGTERM)
        #expect(try first.waitForExit(timeout: .seconds(20)).status == 0)
    }

    @Test func aTerminalThatHangsUpStopsTheServiceRatherThanRestartingIt() throws {
        let (site, _) = try Self.site()
        let terminal = try PseudoTerminal()
        let first = try ZeroDTServeBinary.start(["--config", site.configFile], currentDirectory: site.directory,
                                                standardInput: terminal.terminal)
        try first.waitForStandardError(containing: "] ready ")
        // What a shell does when its window closes: the terminal hangs up, then SIGHUP.
        try terminal.hangUp()
        first.send(SIGHUP)
        let output = try first.waitForExit(timeout: .seconds(20))
        #expect(!output.signalled && output.status == 0, "\(output)")
        #expect(output.standardError.contains("the terminal hung up"), "\(output)")
        #expect(!Self.hasLine(output.standardError, "[gen 2 pid "), "no restart: \(output)")
    }

    @Test func aGenerationStartedAfterACrashRemovesSocketFilesTheConfigDropped() throws {
        let site = try TestSite()
        let address = TestAddress.tcp(host: "127.0.0.1", port: try LoopbackPort.free())
        let config = RestartTests.config(address, pidFile: site.path("run.pid"), extra: "restart: { supervise: always }")
        try config.replacingOccurrences(of: "listen: [\"\(address)\"]", with: "listen: [\"\(address)\", \"unix:web.sock\"]")
            .write(toFile: site.configFile, atomically: true, encoding: .utf8)
        let first = try ZeroDTServeBinary.start(["--config", site.configFile], currentDirectory: site.directory)
        try first.waitForStandardError(containing: "] ready ")
        #expect(FileManager.default.fileExists(atPath: site.path("web.sock")))
        try config.write(toFile: site.configFile, atomically: true, encoding: .utf8)
        let serving = try #require(ProcessTree.children(of: first.pid).first)
        kill(serving, SIGKILL)
        try first.waitForStandardError(toSatisfy: "say generation 2 is ready") { Self.hasLine($0, "[gen 2 pid ", "] ready ") }
        #expect(!FileManager.default.fileExists(atPath: site.path("web.sock")), "\(first.standardError)")
        #expect(try ServeTests.get("/hello", from: address).text == RestartTests.body)
        first.send(SIGTERM)
        #expect(try first.waitForExit(timeout: .seconds(20)).status == 0)
    }

    @Test func sigusr1ReopensTheLogsOfTheSupervisorAndOfEveryGeneration() throws {
        let (site, address) = try Self.site(extra: "restart: { supervise: always }")
        try (try String(contentsOfFile: site.configFile, encoding: .utf8))
            .replacingOccurrences(of: "log: { access: false }",
                                  with: "log: { file: main.log, access: { file: access.log, format: common } }")
            .write(toFile: site.configFile, atomically: true, encoding: .utf8)
        let first = try ZeroDTServeBinary.start(["--config", site.configFile], currentDirectory: site.directory)
        let read = { (name: String) in (try? String(contentsOfFile: site.path(name), encoding: .utf8)) ?? "" }
        #expect(poll(timeout: .seconds(10)) { read("main.log").contains("] ready ") ? true : nil } != nil)
        #expect(rename(site.path("main.log"), site.path("main.log.1")) == 0)
        #expect(rename(site.path("access.log"), site.path("access.log.1")) == 0)
        first.send(SIGUSR1)
        // Generation 1, the only one, writes to the new access log once it has reopened it.
        #expect(poll(timeout: .seconds(10)) { () -> Bool? in
            _ = try? ServeTests.get("/hello", from: address)
            return read("access.log").contains("\"GET /hello HTTP/1.1\" 200") ? true : nil
        } != nil)
        first.send(SIGTERM)
        #expect(try first.waitForExit(timeout: .seconds(20)).status == 0)
        #expect(read("main.log").contains("[supervisor pid \(first.pid)] SIGTERM: stopping every generation"),
                "\(read("main.log"))")
    }
}
