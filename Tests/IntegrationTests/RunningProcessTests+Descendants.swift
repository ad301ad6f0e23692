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
}
