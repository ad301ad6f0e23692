import Foundation
import Testing

extension RunningProcessTests {
    /// A test that fails mid hand-over kills its server: the generation it started, and the
    /// successor that one started (in a process group of its own), which would otherwise
    /// serve on after the test.
    @Test func killingAServerKillsTheGenerationsItStarted() throws {
        let (family, address) = try RestartTests.start { RestartTests.config($0, pidFile: $1, drainGrace: "5s") }
        // An idle keep-alive connection keeps generation 1 in its drain for the drain grace.
        let idle = try HTTPTestClient(connectingTo: address)
        #expect(try idle.exchange("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n").status == 200)
        kill(family.first.pid, SIGHUP)
        try family.first.waitForStandardError(containing: "handing over and draining", timeout: .seconds(20))
        let generations = [family.first.pid] + ProcessTree.descendants(of: family.first.pid)
        #expect(generations.count == 2)
        family.first.kill()
        let left = poll(timeout: .seconds(5)) { generations.allSatisfy { !isAlive($0) } ? true : nil }
        #expect(left == true, "still running: \(generations.filter(isAlive))")
    }

    /// A family released while a later generation starts its successor leaves none of them
    /// running: the first generation has exited, so the others are no longer its
    /// descendants, and the successor (here one that hangs in its start) would belong to
    /// pid 1 and live on, as a generation 3 once did after a whole run of the suite.
    @Test func releasingAFamilyMidRestartLeavesNoGenerationRunning() throws {
        let faultFile = FileManager.default.temporaryDirectory.appendingPathComponent("zerodt-fault-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: faultFile) }
        try "".write(toFile: faultFile, atomically: true, encoding: .utf8)
        var family: ServerFamily? = try RestartTests.start({ RestartTests.config($0, pidFile: $1) },
                                                          environment: ["ZERODT_TEST_STARTUP_FAULT": faultFile]).0
        let second = try #require(family).restart()
        try "hang".write(toFile: faultFile, atomically: true, encoding: .utf8)
        kill(second, SIGHUP)
        let third = try #require(poll(timeout: .seconds(20)) { ProcessTree.children(of: second).first })
        family = nil
        let gone = poll(timeout: .seconds(10)) { isAlive(second) || isAlive(third) ? nil : true }
        #expect(gone == true, "still running: \([second, third].filter(isAlive).map(ProcessTree.describe))")
    }

}
