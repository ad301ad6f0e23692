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

extension OperationsTests.PIDFile {
    /// A reload that names another pid file moves the lock: the new generation locks the new
    /// file (a successor that kept the pid file keeps the inherited lock instead), and the
    /// old one is free once the old generation has gone.
    @Test func aReloadToAnotherPIDFileMovesTheLock() throws {
        let server = try OperationsTests.start(control: false)
        let moved = server.site.path("moved.pid")
        let config = OperationsTests.config(server.address, site: server.site, body: "v2\n", control: false)
        try config.replacingOccurrences(of: "pid_file: \(server.site.path("run.pid"))", with: "pid_file: \(moved)")
            .write(toFile: server.site.configFile, atomically: true, encoding: .utf8)
        server.family.first.send(SIGHUP)
        let new = try #require(poll(timeout: .seconds(20)) {
            PIDFileReader.pid(at: moved).flatMap { $0 != server.family.first.pid && isAlive($0) ? $0 : nil }
        })
        try server.family.waitForExit(of: server.family.first.pid)

        let otherPort = try LoopbackPort.free()
        func other(pidFile: String) throws -> RunningProcess {
            let text = OperationsTests.config(.tcp(host: "127.0.0.1", port: otherPort), site: server.site,
                                              body: "other\n", control: false)
                .replacingOccurrences(of: "pid_file: \(server.site.path("run.pid"))", with: "pid_file: \(pidFile)")
            return try ZeroDTServeBinary.start(["--config", try server.site.write("other.yaml", text)],
                                               currentDirectory: server.site.directory)
        }
        let refused = try other(pidFile: moved).waitForExit()
        #expect(refused.status == 1, "\(refused)")
        #expect(refused.standardError.contains("pid file \(moved) is held by another zerodt-serve (pid \(new))"),
                "\(refused)")

        let allowed = try other(pidFile: server.site.path("run.pid"))
        try allowed.waitForStandardError(containing: "] serving ")
        allowed.send(SIGTERM)
        #expect(try allowed.waitForExit().status == 0)
        kill(new, SIGTERM)
        try server.family.waitForExit(of: new)
    }
}

/// Reads a pid file the way the tests' `ServerFamily` does, for a path it does not follow.
enum PIDFileReader {
    static func pid(at path: String) -> Int32? {
        (try? String(contentsOfFile: path, encoding: .utf8)).flatMap {
            Int32($0.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }
}
