import Foundation
import Testing

extension RestartTests {
    /// A reload asked for during a hand-over runs once after it, whatever its outcome: here
    /// the successor it was passed on to dies before it could run it, and the old
    /// generation, serving again, runs it itself.
    @Test func aReloadPassedOnToASuccessorThatDiesRunsAfterTheTakeBack() throws {
        // A drain long enough to be caught in, whatever the machine's load.
        let (family, address) = try RestartTests.start {
            RestartTests.config($0, pidFile: $1, drainGrace: "5s")
        }
        let original = family.first.pid
        // An idle keep-alive connection keeps generation 1 in its drain for the drain grace.
        let idle = try HTTPTestClient(connectingTo: address)
        #expect(try idle.exchange("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n").status == 200)
        kill(original, SIGHUP)
        try family.first.waitForStandardError(containing: "handing over and draining", timeout: .seconds(20))
        let successor = try Self.pid(after: "generation 2 (pid ", in: family.log)
        // Generation 1 passes the request on; generation 2 keeps it until 1 has drained.
        kill(original, SIGHUP)
        try family.first.waitForStandardError(containing: "passing the restart request on to generation 2")
        try family.first.waitForStandardError(containing: "[gen 2 pid \(successor)] restart requested while generation 1 still drains")
        kill(successor, SIGKILL)
        try family.first.waitForStandardError(containing: "serving again as generation 1", timeout: .seconds(20))
        try family.first.waitForStandardError(toSatisfy: "start a new generation 2", timeout: .seconds(20)) { log in
            log.split(separator: "\n").contains { $0.contains("[gen 2 pid ") && $0.contains("] ready ")
                && !$0.contains("[gen 2 pid \(successor)]") }
        }
        try family.waitForExit(of: original)
        #expect(try ServeTests.get("/hello", from: address).text == RestartTests.body)
        try family.stop()
    }

    /// The number that follows `prefix` in `log`.
    private static func pid(after prefix: String, in log: String) throws -> Int32 {
        guard let start = log.range(of: prefix)?.upperBound, let pid = Int32(log[start...].prefix { $0.isNumber }) else {
            throw ProcessTestError(description: "no \(prefix)… in:\n\(log)")
        }
        return pid
    }
}
