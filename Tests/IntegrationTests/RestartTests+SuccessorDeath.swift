import Foundation
import Testing

extension RestartTests {
    /// A successor SIGKILLed at any stage of its life, under load: whoever still holds the
    /// listening sockets serves on (a rollback before ready, a take-back after it), not one
    /// request fails, and the pid file and `status` name the generation that serves
    /// (DESIGN §3, "who keeps the sockets").
    @Suite(.serialized) struct SuccessorDeath {
        /// Where the successor dies: the knob's stages (`StartupFault.Stage`; `accepting` is
        /// the moment before its first accept), and `drain`, early in the old generation's
        /// drain, which the test itself brings about.
        static let stages = ["spawn", "config", "adopt", "ready", "took-over", "accepting", "drain"]

        @Test(arguments: stages, [false, true])
        func aSuccessorKilledAtAnyStageLosesNothing(stage: String, stateful: Bool) throws {
            let faultFile = FileManager.default.temporaryDirectory.appendingPathComponent("zerodt-fault-\(UUID())").path
            defer { try? FileManager.default.removeItem(atPath: faultFile) }
            try (stage == "drain" ? "" : "kill:\(stage)").write(toFile: faultFile, atomically: true, encoding: .utf8)
            let control = "control: control.sock"
            let extra = stateful ? "restart: { wait_parent: 10s }\n\(control)" : control
            // A drain long enough to be caught in, whatever the machine's load.
            let (family, address) = try RestartTests.start(
                { RestartTests.config($0, pidFile: $1, extra: extra, drainGrace: "2s") },
                environment: ["ZERODT_TEST_STARTUP_FAULT": faultFile])
            let original = family.first.pid
            // An idle keep-alive connection keeps generation 1 in its drain for the drain grace.
            let idle = try HTTPTestClient(connectingTo: address)
            #expect(try idle.exchange("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n").status == 200)
            // A stateless successor killed in the drain serves already: the requests it holds
            // are lost with it (as with any process killed mid-request), but none is refused.
            try RestartTests.underLoad(address, inFlightMayFail: stage == "drain" && !stateful) {
                kill(original, SIGHUP)
                if stage == "drain" { try Self.killSuccessorInTheDrain(family, stateful: stateful) }
                try family.first.waitForStandardError(containing: "as generation 1", timeout: .seconds(20))
            }
            let named = poll(timeout: .seconds(5)) { family.currentPID == original ? true : nil }
            #expect(named == true, "the pid file must name the generation that serves:\n\(family.log)")
            let status = try ZeroDTServeBinary.run(["status", "--config", family.site.configFile],
                                                   currentDirectory: family.site.directory, timeout: .seconds(10))
            #expect(status.standardOutput.contains("pid:        \(original)"), "\(status)")
            #expect(status.standardOutput.contains("state:      serving"), "\(status)")
            #expect(status.standardOutput.contains("FAILED: generation 2"), "\(status)")

            // Serving again, it hands over as usual to a successor that lives.
            try "".write(toFile: faultFile, atomically: true, encoding: .utf8)
            let next = try family.restart()
            #expect(try ServeTests.get("/hello", from: address).text == RestartTests.body)
            #expect(family.currentPID == next)
            try family.stop()
        }

        /// Kills generation 2 once generation 1 drains: stateless, when 2 accepts; stateful,
        /// when 1 starts draining (2 accepts only after).
        private static func killSuccessorInTheDrain(_ family: ServerFamily, stateful: Bool) throws {
            let ready = "generation 2 (pid "
            try family.first.waitForStandardError(containing: ready, timeout: .seconds(20))
            let log = family.log
            guard let start = log.range(of: ready)?.upperBound,
                  let pid = Int32(log[start...].prefix { $0.isNumber })
            else { throw ProcessTestError(description: "no pid for generation 2 in:\n\(log)") }
            try family.first.waitForStandardError(
                containing: stateful ? "handing over and draining" : "[gen 2 pid \(pid)] serving ", timeout: .seconds(20))
            kill(pid, SIGKILL)
        }
    }
}
