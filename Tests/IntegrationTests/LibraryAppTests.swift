import Foundation
import Testing

/// `examples/library-app`, a program using the ZeroDT library directly: hooks fire in the
/// documented order and the timeouts do what they say.
@Suite(.serialized) struct LibraryAppTests {
    private static func binary() throws -> String {
        try ZeroDTServeBinary.path(of: "zerodt-library-example")
    }

    /// Starts generation 1 with `environment` on a free port; returns it and the address.
    private static func start(_ environment: [String: String] = [:]) throws -> (ServerFamily, TestAddress) {
        let site = try TestSite()
        let port = try LoopbackPort.free()
        let pidFile = site.path("run.pid")
        var environment = environment
        environment["LIBRARY_APP_LISTEN"] = "127.0.0.1:\(port)"
        environment["LIBRARY_APP_PID_FILE"] = pidFile
        let first = try RunningProcess(executable: try binary(), arguments: [], environment: environment,
                                       currentDirectory: site.directory)
        let family = ServerFamily(site: site, first: first, pidFile: pidFile)
        // The serving generation writes the pid file once it accepts.
        guard poll(timeout: .seconds(10), { family.currentPID }) != nil else {
            throw ProcessTestError(description: "no pid file within 10 s:\n\(family.log)")
        }
        return (family, .tcp(host: "127.0.0.1", port: port))
    }

    /// Sends `line` on a new connection and returns the answer line.
    private static func ask(_ line: String, at address: TestAddress, timeout: Duration = .seconds(5)) throws -> String {
        let client = try HTTPTestClient(connectingTo: address)
        try client.send(line + "\n")
        return try client.readLine(timeout: timeout)
    }

    /// The hook lines of the log, as "gen N: hook …".
    private static func hooks(in log: String) -> [String] {
        log.split(separator: "\n").compactMap { line -> String? in
            guard let hook = line.range(of: "hook ") else { return nil }
            let generation = line.range(of: "gen=").map { line[$0.upperBound...].prefix { $0.isNumber } } ?? "?"
            return "gen \(generation): \(line[hook.lowerBound...])"
        }
    }

    /// The documented order (`Runtime.Hooks`), the same in both modes; only when the
    /// successor starts accepting differs.
    private static let restartOrder = [
        "gen 1: hook preServe inherited=false",
        "gen 2: hook preServe inherited=true",
        "gen 1: hook preShutdown",
        "gen 1: hook completeShutdown",
        "gen 2: hook preParentExit",
    ]

    @Test func hooksFireInOrderInAStatelessRestart() throws {
        let (family, address) = try Self.start()
        #expect(try Self.ask("hi", at: address).hasPrefix("gen 1 pid \(family.first.pid): hi"))
        let second = try family.restart()
        #expect(try Self.ask("again", at: address) == "gen 2 pid \(second): again")
        try family.first.waitForStandardError(containing: "hook preParentExit")
        #expect(Self.hooks(in: family.log) == Self.restartOrder)
        try family.stop()
    }

    @Test func hooksFireInOrderInAStatefulRestart() throws {
        let (family, address) = try Self.start(["LIBRARY_APP_WAIT_PARENT": "10"])
        let second = try family.restart()
        #expect(try Self.ask("again", at: address) == "gen 2 pid \(second): again")
        try family.first.waitForStandardError(containing: "hook preParentExit")
        #expect(Self.hooks(in: family.log) == Self.restartOrder)
        try family.stop()
    }

    @Test func aDrainingPredecessorFinishesItsWorkWhileTheSuccessorServes() throws {
        let (family, address) = try Self.start()
        let slow = try HTTPTestClient(connectingTo: address)
        try slow.send("slow 2\n")
        let second = try family.restart(timeout: .seconds(10))
        #expect(try Self.ask("meanwhile", at: address) == "gen 2 pid \(second): meanwhile")
        #expect(try slow.readLine(timeout: .seconds(10)) == "gen 1 pid \(family.first.pid): slow 2")
        try family.stop()
    }

    @Test func waitParentShutdownTimeoutKillsAPredecessorThatDrainsTooLong() throws {
        let (family, address) = try Self.start(["LIBRARY_APP_WAIT_PARENT": "1"])
        let slow = try HTTPTestClient(connectingTo: address)
        try slow.send("slow 30\n")
        let old = family.first.pid
        kill(old, SIGHUP)
        try family.first.waitForStandardError(containing: "did not drain within 1s; killing it", timeout: .seconds(10))
        try family.waitForExit(of: old, timeout: .seconds(5))
        guard let new = poll(timeout: .seconds(5), { family.currentPID.flatMap { $0 != old ? $0 : nil } }) else {
            Issue.record("no successor serves:\n\(family.log)")
            return
        }
        #expect(try Self.ask("after", at: address) == "gen 2 pid \(new): after")
        try family.stop()
    }

    @Test func aFailingPreServeRollsTheRestartBack() throws {
        let (family, address) = try Self.start(["LIBRARY_APP_FAIL_PRESERVE": "1"])
        kill(family.first.pid, SIGHUP)
        try family.first.waitForStandardError(containing: "restart failed", timeout: .seconds(10))
        #expect(family.log.contains("preServe refused"), "the successor's error is in the log:\n\(family.log)")
        #expect(try Self.ask("still", at: address) == "gen 1 pid \(family.first.pid): still")
        try family.stop()
    }

    @Test func waitChildTimeoutAbandonsASuccessorThatIsNotReadyInTime() throws {
        let (family, address) = try Self.start(["LIBRARY_APP_WAIT_CHILD": "1", "LIBRARY_APP_START_DELAY": "30"])
        kill(family.first.pid, SIGHUP)
        try family.first.waitForStandardError(containing: "restart failed", timeout: .seconds(10))
        #expect(family.log.contains("not ready within 1s"))
        #expect(try Self.ask("still", at: address) == "gen 1 pid \(family.first.pid): still")
        #expect(family.currentPID == family.first.pid)
        try family.stop()
    }
}
