import Foundation
import Testing

/// `zerodt-serve reload|stop|status` through the real binary, against a server reached by
/// its control socket (this file) or by its pid file alone (`OperationsTests.PIDFile`).
@Suite(.serialized) struct OperationsTests {
    /// A running server and what the control commands need to find it.
    struct Server {
        let family: ServerFamily
        let address: TestAddress
        var site: TestSite { family.site }
        var control: String { site.path("control.sock") }

        /// Runs `zerodt-serve COMMAND --config FILE` to completion.
        func command(_ name: String, timeout: Duration = .seconds(30)) throws -> ProcessOutput {
            try ZeroDTServeBinary.run([name, "--config", site.configFile], currentDirectory: site.directory,
                                      timeout: timeout)
        }

        /// Rewrites the config: `body` is what `/hello` answers; `listen` adds listeners.
        func writeConfig(body: String, control: Bool = true, extraListen: [TestAddress] = []) throws {
            try OperationsTests.config(address, site: site, body: body, control: control, extraListen: extraListen)
                .write(toFile: site.configFile, atomically: true, encoding: .utf8)
        }
    }

    static func config(_ address: TestAddress, site: TestSite, body: String, control: Bool,
                       extraListen: [TestAddress] = [], extra: String = "") -> String {
        let listen = ([address] + extraListen).map { "\"\($0)\"" }.joined(separator: ", ")
        return """
            servers:
              - name: web
                listen: [\(listen)]
                timeouts: { drain_grace: 200ms, shutdown: 5s }
                routes:
                  - path: /hello
                    respond: \(body.debugDescription)
            pid_file: \(site.path("run.pid"))
            \(control ? "control: \(site.path("control.sock"))" : "")
            restart: { wait_child: 5s }
            log: { access: false }
            \(extra)
            """
    }

    /// Starts generation 1 and waits until it serves.
    static func start(control: Bool = true, extra: String = "", environment: [String: String] = [:]) throws -> Server {
        let site = try TestSite()
        let address = TestAddress.tcp(host: "127.0.0.1", port: try LoopbackPort.free())
        try config(address, site: site, body: "v1\n", control: control, extra: extra)
            .write(toFile: site.configFile, atomically: true, encoding: .utf8)
        let first = try ZeroDTServeBinary.start(["--config", site.configFile], environment: environment,
                                                currentDirectory: site.directory)
        try first.waitForStandardError(containing: "] serving ")
        return Server(family: ServerFamily(site: site, first: first, pidFile: site.path("run.pid")), address: address)
    }

    static func hello(_ server: Server) throws -> String? {
        try ServeTests.get("/hello", from: server.address).text
    }

    @Test func reloadReportsTheNewGenerationAndStatusAnswersFromIt() throws {
        let server = try Self.start()
        let first = server.family.first.pid
        try server.writeConfig(body: "v2\n")
        let reload = try server.command("reload")
        #expect(reload.status == 0, "\(reload)")
        let new = try #require(server.family.currentPID)
        #expect(new != first)
        #expect(reload.standardOutput.contains("generation 2 (pid \(new))"), "\(reload)")
        #expect(try Self.hello(server) == "v2\n")

        // The control socket was handed over: the new generation answers it.
        try server.family.waitForExit(of: first)
        let status = try server.command("status")
        #expect(status.status == 0, "\(status)")
        #expect(status.standardOutput.contains("pid:        \(new)"), "\(status)")
        #expect(status.standardOutput.contains("generation: 2"), "\(status)")
        #expect(status.standardOutput.contains("last reload:") && status.standardOutput.contains(" ok: took over from generation 1 (pid \(first))"),
                "\(status)")
        try server.family.stop()
    }

    @Test func statusShowsPidGenerationUptimeAndListeners() throws {
        let server = try Self.start()
        let status = try server.command("status")
        #expect(status.status == 0, "\(status)")
        let lines = status.standardOutput
        #expect(lines.contains("pid:        \(server.family.first.pid)\n"), "\(status)")
        #expect(lines.contains("generation: 1\n"), "\(status)")
        #expect(lines.contains("state:      serving\n"), "\(status)")
        #expect(lines.contains("uptime:     "), "\(status)")
        #expect(lines.contains("listeners:  \(server.address)"), "\(status)")
        #expect(lines.contains("unix:\(server.control) (zerodt-control)"), "\(status)")
        #expect(lines.contains("last reload: none"), "\(status)")
        try server.family.stop()
    }

    @Test func theControlSocketIsPrivateByDefault() throws {
        let server = try Self.start()
        var info = stat()
        #expect(stat(server.control, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600, "mode \(String(info.st_mode & 0o777, radix: 8))")
        #expect(info.st_mode & S_IFMT == S_IFSOCK)
        try server.family.restart()
        #expect(stat(server.control, &info) == 0, "the socket file must survive a restart")
        #expect(info.st_mode & 0o777 == 0o600)
        try server.family.stop()
    }

    @Test func reloadWithABrokenConfigPrintsTheDiagnosticsAndKeepsServing() throws {
        let server = try Self.start()
        let first = server.family.first.pid
        try "servers:\n  - name: web\n    listen: []\npid_file: \(server.site.path("run.pid"))\ncontrol: \(server.control)\n"
            .write(toFile: server.site.configFile, atomically: true, encoding: .utf8)
        let reload = try server.command("reload")
        #expect(reload.status == 1, "\(reload)")
        #expect(reload.standardError.contains("reload failed"), "\(reload)")
        #expect(reload.standardError.contains("site.yaml:3:13: error: 'listen' must not be empty"), "\(reload)")
        #expect(reload.standardError.hasSuffix("generation 1 (pid \(first)) keeps serving\n"), "\(reload)")
        #expect(server.family.currentPID == first, "the old generation must keep serving")
        #expect(try Self.hello(server) == "v1\n")

        let status = try server.command("status")
        #expect(status.status == 0, "status must work with a broken config:\n\(status)")
        #expect(status.standardOutput.contains("FAILED: invalid config: \(server.site.configFile):2:5: error:"), "\(status)")
        #expect(status.standardError.contains("warning: \(server.site.configFile) is invalid"), "\(status)")
        try server.family.stop()
    }

    /// A successor that reports its failure and exits is reported once, in its own words:
    /// never with a stray "; it exited with status 1" after them (issue 10, defect 3).
    @Test func aFailedReloadIsReportedOnceAndWhole() throws {
        let server = try Self.start()
        try "servers:\n  - name: web\n    listen: []\npid_file: \(server.site.path("run.pid"))\ncontrol: \(server.control)\n"
            .write(toFile: server.site.configFile, atomically: true, encoding: .utf8)
        let attempts = 12
        for _ in 0..<attempts {
            let reload = try server.command("reload")
            #expect(reload.status == 1, "\(reload)")
            #expect(reload.standardError.contains("'listen' must not be empty"), "\(reload)")
            #expect(!reload.standardError.contains("; it exited"), "\(reload)")
        }
        let log = server.family.log
        #expect(log.components(separatedBy: "restart failed").count - 1 == attempts, "\(log)")
        #expect(!log.contains("; it exited") && !log.contains("exited before it was ready"), "\(log)")
        try server.family.stop()
    }

    /// The status module shows a failed reload's one-line summary and location, never the
    /// offending config line, which may hold a secret (issue 11, item 9); `reload` and the
    /// log show everything.
    @Test func theStatusModuleShowsASummaryOfAFailedReloadWithoutConfigText() throws {
        let server = try Self.start()
        let statusRoute = "      - path: /status\n        handler: status\n"
        let good = try String(contentsOfFile: server.site.configFile, encoding: .utf8)
        try good.replacingOccurrences(of: "    routes:\n", with: "    routes:\n" + statusRoute)
            .write(toFile: server.site.configFile, atomically: true, encoding: .utf8)
        #expect(try server.command("reload").status == 0)
        try good.replacingOccurrences(of: "    routes:\n", with: "    api_token: hunter2-secret\n    routes:\n" + statusRoute)
            .write(toFile: server.site.configFile, atomically: true, encoding: .utf8)
        let reload = try server.command("reload")
        #expect(reload.status == 1)
        #expect(reload.standardError.contains("hunter2-secret"), "reload shows the whole diagnostic:\n\(reload)")
        let status = try ServeTests.get("/status", from: server.address)
        #expect(status.text.contains("\"result\" : \"failed\""), "\(status.text)")
        #expect(status.text.contains("unknown key 'api_token'") && status.text.contains("site.yaml:"), "\(status.text)")
        #expect(!status.text.contains("hunter2"), "\(status.text)")
        try server.family.stop()
    }

    @Test func reloadPrintsTheSuccessorsReasonWhenItCannotStart() throws {
        let server = try Self.start()
        let first = server.family.first.pid
        let occupied = try ListeningTestSocket(host: "127.0.0.1", port: 0)
        try server.writeConfig(body: "v2\n", extraListen: [.tcp(host: "127.0.0.1", port: occupied.port)])
        let reload = try server.command("reload")
        #expect(reload.status == 1, "\(reload)")
        #expect(reload.standardError.contains("reload failed: server 'web': cannot listen on 127.0.0.1:\(occupied.port)"),
                "\(reload)")
        #expect(server.family.currentPID == first)
        #expect(try Self.hello(server) == "v1\n")
        try server.family.stop()
    }

    @Test func stopDrainsAndWaitsForTheExit() throws {
        let server = try Self.start()
        let pid = server.family.first.pid
        let stop = try server.command("stop")
        #expect(stop.status == 0, "\(stop)")
        #expect(stop.standardOutput.contains("stopped pid \(pid)"), "\(stop)")
        // The command returned, so the process must be gone already (bar reaping).
        let exit = try server.family.first.waitForExit(timeout: .seconds(2))
        #expect(exit.status == 0 && !exit.signalled, "\(exit)")
        #expect(!FileManager.default.fileExists(atPath: server.control), "the control socket file is removed at exit")
        #expect(!FileManager.default.fileExists(atPath: server.site.path("run.pid")))
        let again = try server.command("status")
        #expect(again.status == 1)
        #expect(again.standardError.contains("is the server running?"), "\(again)")
    }
}
