import Foundation
import Testing

extension RestartTests {
    /// A successor that cannot take over is killed and reported; the old generation serves
    /// on as if nothing happened (DESIGN §3, step 6).
    @Suite(.serialized) struct Rollback {
        /// Starts a server whose successors read `fault` (see `StartupFault`), makes one
        /// restart attempt under load, and checks that it failed with `reason` in the log.
        private static func failedRestart(fault: String, reason: String, breakConfig: Bool = false,
                                          environment: [String: String] = [:]) throws {
            let faultFile = FileManager.default.temporaryDirectory.appendingPathComponent("zerodt-fault-\(UUID())").path
            defer { try? FileManager.default.removeItem(atPath: faultFile) }
            try fault.write(toFile: faultFile, atomically: true, encoding: .utf8)
            let (family, address) = try RestartTests.start(
                { RestartTests.config($0, pidFile: $1, extra: "restart: { wait_child: 2s }") },
                environment: environment.merging(["ZERODT_TEST_STARTUP_FAULT": faultFile]) { $1 })
            let original = family.first.pid
            try RestartTests.underLoad(address) {
                if breakConfig {
                    try "servers: [ { name: web, listen: [] } ]\n".write(toFile: family.site.configFile,
                                                                       atomically: true, encoding: .utf8)
                }
                kill(original, SIGHUP)
                try family.first.waitForStandardError(containing: "restart failed", timeout: .seconds(20))
            }
            #expect(family.currentPID == original, "the old generation must keep serving")
            #expect(family.first.isRunning)
            #expect(family.log.contains(reason), "expected '\(reason)' in:\n\(family.log)")
            #expect(try ServeTests.get("/hello", from: address).text == RestartTests.body)
            try family.stop()
        }

        @Test func anInvalidConfigIsReportedWithItsDiagnostics() throws {
            try Self.failedRestart(fault: "", reason: "'listen' must not be empty", breakConfig: true)
        }

        @Test func aSuccessorThatCrashesAtStart() throws {
            // Swift's crash backtrace takes seconds; the test is about the crash, not the report.
            try Self.failedRestart(fault: "crash", reason: "exited before it was ready: it was killed by signal 6",
                                   environment: ["SWIFT_BACKTRACE": "enable=no"])
        }

        @Test func aSuccessorThatExitsAtStart() throws {
            try Self.failedRestart(fault: "exit", reason: "exited before it was ready: it exited with status 3")
        }

        @Test func aSuccessorThatHangsPastWaitChild() throws {
            try Self.failedRestart(fault: "hang", reason: "not ready within 2s")
        }

        @Test func aStopDuringARestartKillsTheSuccessorAndDrains() throws {
            let faultFile = FileManager.default.temporaryDirectory.appendingPathComponent("zerodt-fault-\(UUID())").path
            defer { try? FileManager.default.removeItem(atPath: faultFile) }
            try "hang".write(toFile: faultFile, atomically: true, encoding: .utf8)
            let (family, _) = try RestartTests.start(
                { RestartTests.config($0, pidFile: $1, extra: "restart: { wait_child: 30s }") },
                environment: ["ZERODT_TEST_STARTUP_FAULT": faultFile])
            kill(family.first.pid, SIGHUP)
            try family.first.waitForStandardError(containing: "restart requested")
            // The successor exists (and hangs) once a second process runs the config.
            #expect(poll(timeout: .seconds(10)) { family.processCount == 2 ? true : nil } != nil)
            kill(family.first.pid, SIGTERM)
            try family.first.waitForStandardError(containing: "killing generation 2")
            try family.waitForExit(of: family.first.pid, timeout: .seconds(10))
            #expect(poll(timeout: .seconds(10)) { family.processCount == 0 ? true : nil } != nil,
                    "no generation may outlive the stop")
            let output = try family.first.waitForExit(timeout: .seconds(5))
            #expect(output.status == 0 && !output.signalled, "\(output)")
        }
    }
}
