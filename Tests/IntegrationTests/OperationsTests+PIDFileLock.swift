import Foundation
import Testing

extension OperationsTests.PIDFile {
    /// Two instances sharing one pid file would overwrite each other's pid, and `stop` would
    /// then stop the wrong one (issue 11, item 2): the second refuses to start.
    @Test func aSecondInstanceWithTheSamePIDFileIsRefusedAcrossRestarts() throws {
        let server = try OperationsTests.start(control: false)
        let pidFile = server.site.path("run.pid")
        // Another config (own port) naming the same pid file.
        let otherPort = try LoopbackPort.free()
        let other = try server.site.write("other.yaml", OperationsTests.config(
            .tcp(host: "127.0.0.1", port: otherPort), site: server.site, body: "other\n", control: false))

        var current = server.family.first.pid
        for restart in 0...3 {
            if restart > 0 { current = try server.family.restart() }
            let second = try ZeroDTServeBinary.start(["--config", other], currentDirectory: server.site.directory)
            let refused = try second.waitForExit(timeout: .seconds(10))
            #expect(refused.status == 1, "after \(restart) restarts: \(refused)")
            #expect(refused.standardError.contains(
                "pid file \(pidFile) is held by another zerodt-serve (pid \(current)); stop it first or choose another pid_file"),
                "after \(restart) restarts: \(refused)")
            #expect(!refused.standardError.contains("] serving "), "\(refused)")
            #expect(server.family.currentPID == current, "the pid file must still name the first instance")
            #expect(try OperationsTests.hello(server) == "v1\n")
        }
        #expect(FileManager.default.fileExists(atPath: pidFile + ".lock"))

        let stop = try server.command("stop")
        #expect(stop.status == 0, "\(stop)")
        #expect(stop.standardOutput.contains("stopped pid \(current)"), "\(stop)")
        #expect(!isAlive(current))

        // The lock went with the last generation: the other config may start now.
        let next = try ZeroDTServeBinary.start(["--config", other], currentDirectory: server.site.directory)
        try next.waitForStandardError(containing: "] serving ")
        next.send(SIGTERM)
        #expect(try next.waitForExit().status == 0)
    }
}
