import Foundation
import Testing

/// Whether `systemd-socket-activate` (from the systemd package) can be run.
private let socketActivator = "/usr/bin/systemd-socket-activate"
private let hasSocketActivator = FileManager.default.isExecutableFile(atPath: socketActivator)

extension OperationsTests {
    /// Socket activation as systemd does it, through `systemd-socket-activate`: it binds the
    /// sockets, waits for the first connection, then execs `zerodt-serve` with `LISTEN_FDS`,
    /// `LISTEN_PID` (its own pid, kept across the exec) and `LISTEN_FDNAMES`.
    @Suite(.serialized, .enabled(if: hasSocketActivator, "needs \(socketActivator)"))
    struct SocketActivation {
        /// The config: listener `public` on `tcp`, listener `local` on `unix`.
        static func config(tcp: TestAddress, unix: TestAddress, site: TestSite, body: String = "hello\n") -> String {
            """
            servers:
              - name: web
                listen:
                  - { address: "\(tcp)", name: public }
                  - { address: "\(unix)", name: local }
                timeouts: { drain_grace: 200ms, shutdown: 5s }
                routes:
                  - path: /hello
                    respond: \(body.debugDescription)
            pid_file: \(site.path("run.pid"))
            log: { access: false }
            """
        }

        /// Starts `systemd-socket-activate -l … --fdname=… zerodt-serve --config …`; it execs
        /// the server on the first connection, which the caller makes.
        static func activate(site: TestSite, listen: [(String, String)]) throws -> RunningProcess {
            let arguments = listen.map { "--listen=\($0.0)" }
                + ["--fdname=" + listen.map(\.1).joined(separator: ":"), "--",
                   try ZeroDTServeBinary.path(), "--config", site.configFile]
            let process = try RunningProcess(executable: socketActivator, arguments: arguments,
                                             currentDirectory: site.directory)
            try process.waitForStandardError(toSatisfy: "listen on every socket") { stderr in
                stderr.components(separatedBy: "Listening on ").count - 1 == listen.count
            }
            return process
        }

        /// `-l` takes `127.0.0.1:PORT` or a path.
        static func activatorAddress(_ address: TestAddress) -> String {
            switch address {
            case .tcp: return "\(address)"
            case .unix(let path): return path
            }
        }

        @Test(arguments: [false, true])
        func namedTCPAndUnixSocketsServeAcrossARestart(unixFirst: Bool) throws {
            let site = try TestSite()
            let tcp = TestAddress.tcp(host: "127.0.0.1", port: try LoopbackPort.free())
            let unix = TestAddress.unix(path: site.path("web.sock"))
            try Self.config(tcp: tcp, unix: unix, site: site).write(toFile: site.configFile, atomically: true,
                                                                       encoding: .utf8)
            var sockets = [(Self.activatorAddress(tcp), "public"), (Self.activatorAddress(unix), "local")]
            if unixFirst { sockets.reverse() }
            let process = try Self.activate(site: site, listen: sockets)
            let family = ServerFamily(site: site, first: process, pidFile: site.path("run.pid"))

            // The first connection starts the server; it is answered by it.
            #expect(try ServeTests.get("/hello", from: tcp).text == "hello\n")
            try process.waitForStandardError(containing: "] serving ")
            #expect(try ServeTests.get("/hello", from: unix).text == "hello\n")
            #expect(family.currentPID == process.pid, "the activator execs the server in place")
            // Adopted, not bound: the activator's sockets are in use, so binding would have failed.
            #expect(!process.standardError.contains("cannot listen"))

            try RestartTests.underLoad(tcp) {
                try family.restart()
            }
            #expect(try ServeTests.get("/hello", from: unix).text == "hello\n")
            #expect(try ServeTests.get("/hello", from: tcp).text == "hello\n")
            try family.stop()
            // The socket unit owns the file and keeps listening on it for the next activation.
            #expect(FileManager.default.fileExists(atPath: site.path("web.sock")), "systemd's socket file was removed")
        }

        @Test func aNamedSocketIsAdoptedByNameWhateverItsAddress() throws {
            // The unit, not the config, decides the address of a named systemd socket.
            let site = try TestSite()
            let configured = TestAddress.tcp(host: "127.0.0.1", port: try LoopbackPort.free())
            let actual = TestAddress.tcp(host: "127.0.0.1", port: try LoopbackPort.free())
            let unix = TestAddress.unix(path: site.path("web.sock"))
            try Self.config(tcp: configured, unix: unix, site: site).write(toFile: site.configFile, atomically: true,
                                                                              encoding: .utf8)
            let process = try Self.activate(site: site, listen: [("\(actual)", "public"),
                                                                 (Self.activatorAddress(unix), "local")])
            let family = ServerFamily(site: site, first: process, pidFile: site.path("run.pid"))
            #expect(try ServeTests.get("/hello", from: actual).text == "hello\n")
            try process.waitForStandardError(containing: "] serving ")
            try family.restart()
            #expect(try ServeTests.get("/hello", from: actual).text == "hello\n",
                    "the systemd socket must still serve after a restart:\n\(family.log)")
            try family.stop()
        }

        @Test func anInheritedSocketNoListenerClaimsIsAStartupError() throws {
            let site = try TestSite()
            let tcp = TestAddress.tcp(host: "127.0.0.1", port: try LoopbackPort.free())
            let unix = TestAddress.unix(path: site.path("web.sock"))
            let stray = TestAddress.tcp(host: "127.0.0.1", port: try LoopbackPort.free())
            try Self.config(tcp: tcp, unix: unix, site: site).write(toFile: site.configFile, atomically: true,
                                                                       encoding: .utf8)
            let process = try Self.activate(site: site, listen: [("\(tcp)", "public"), ("\(stray)", "admin"),
                                                                 (Self.activatorAddress(unix), "local")])
            // Trigger the exec; the server refuses to start, so the connection is dropped.
            _ = try? HTTPTestClient(connectingTo: tcp).exchange("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n",
                                                                 timeout: .seconds(10))
            let output = try process.waitForExit(timeout: .seconds(10))
            #expect(output.status == 1, "\(output)")
            #expect(output.standardError.contains("'admin'") && output.standardError.contains("\(stray)"), "\(output)")
            #expect(!output.standardError.contains("] serving "), "\(output)")
        }
    }
}
