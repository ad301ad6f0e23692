import Foundation
import Testing

/// The process helpers themselves, on /bin/sh, so that their timeouts are known to work
/// before server tests rely on them.
@Suite(.serialized) struct RunningProcessTests {
    @Test func capturesOutputAndStatus() throws {
        let output = try RunningProcess.run("/bin/sh", arguments: ["-c", "echo out; echo err >&2; exit 3"])
        #expect(output.status == 3)
        #expect(!output.signalled)
        #expect(output.standardOutput == "out\n")
        #expect(output.standardError == "err\n")
    }

    @Test func waitsForStderrThenStopsWithASignal() throws {
        let process = try RunningProcess(executable: "/bin/sh",
                                         arguments: ["-c", "echo starting >&2; echo ready >&2; exec sleep 30"])
        #expect(process.pid > 0)
        try process.waitForStandardError(containing: "ready", timeout: .seconds(10))
        #expect(process.isRunning)
        process.send(SIGTERM)
        let output = try process.waitForExit(timeout: .seconds(10))
        #expect(output.signalled)
        #expect(output.status == SIGTERM)
        #expect(output.standardError == "starting\nready\n")
    }

    @Test func childStartsWithNoSignalsBlocked() throws {
        let output = try RunningProcess.run("/bin/sh", arguments: ["-c", "grep SigBlk /proc/self/status"])
        #expect(output.standardOutput == "SigBlk:\t0000000000000000\n")
    }

    @Test func waitingForStderrFailsWhenTheProcessExits() throws {
        let process = try RunningProcess(executable: "/bin/sh", arguments: ["-c", "echo bye >&2"])
        #expect(throws: ProcessTestError.self) {
            try process.waitForStandardError(containing: "ready", timeout: .seconds(10))
        }
    }

    @Test func overrunningProcessIsKilled() throws {
        let started = ContinuousClock.now
        let error = #expect(throws: ProcessTestError.self) {
            try RunningProcess.run("/bin/sh", arguments: ["-c", "exec sleep 30"], timeout: .milliseconds(300))
        }
        #expect(error?.description.contains("still running after") == true)
        #expect(ContinuousClock.now - started < .seconds(10))
    }
}
