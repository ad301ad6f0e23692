import Foundation
import Testing

extension ServeTests {
    /// Unix socket paths that name something other than our socket: `zerodt-serve` neither
    /// deletes such a file nor changes its mode, whoever put it there.
    @Suite struct SocketFiles {
        private static func mode(of path: String) -> mode_t {
            var info = stat()
            return lstat(path, &info) == 0 ? info.st_mode & 0o7777 : 0
        }

        @Test func aSocketSwappedForASymlinkBeforeARestartLeavesTheTargetsModeAlone() throws {
            let site = try TestSite()
            let victim = try site.write("victim.txt", "secret\n")
            chmod(victim, 0o600)
            let socket = site.path("web.sock")
            let process = try site.serve("""
                servers:
                  - name: web
                    listen: [{ address: "unix:web.sock", mode: 0666 }]
                    routes: [{ path: /, respond: hi }]
                pid_file: zerodt.pid
                log: { access: false }
                """)
            let family = ServerFamily(site: site, first: process, pidFile: site.path("zerodt.pid"))
            #expect(Self.mode(of: socket) == 0o666)
            // What a local user who can write the directory could do between two restarts.
            #expect(unlink(socket) == 0 && symlink(victim, socket) == 0)
            process.send(SIGHUP)
            try process.waitForStandardError(toSatisfy: "the restart to end", timeout: .seconds(20)) { log in
                log.contains("handed over to pid") || log.contains("restart failed")
            }
            #expect(Self.mode(of: victim) == 0o600, "\(family.log)")
            #expect(try String(contentsOfFile: victim, encoding: .utf8) == "secret\n")
        }

        @Test(arguments: ["listen", "control"])
        func aRegularFileAtASocketPathIsReportedAndKept(key: String) throws {
            let site = try TestSite()
            let file = try site.write("web.txt", "keep me\n")
            let tcp = "127.0.0.1:\(try LoopbackPort.free())"
            let config = """
                servers:
                  - name: web
                    listen: [\(key == "listen" ? "unix:web.txt" : tcp)]
                    routes: [{ path: /, respond: hi }]
                \(key == "control" ? "control: web.txt" : "")
                """
            _ = try site.write("site.yaml", config)
            let check = try ZeroDTServeBinary.run(["check", "--config", site.configFile])
            #expect(check.status == 1, "\(check)")
            #expect(check.standardError.contains(
                "\(site.configFile):\(key == "listen" ? "3:14" : "5:10"): error: '\(key)' path '\(file)' "
                    + "is a regular file, not a socket"), "\(check)")
            let serve = try site.launch(config)
            let ended = poll(timeout: .seconds(10)) {
                !serve.isRunning || serve.standardError.contains("] ready") ? true : nil
            }
            #expect(ended == true && !serve.isRunning, "\(serve.standardError)")
            #expect((try? String(contentsOfFile: file, encoding: .utf8)) == "keep me\n")
        }
    }
}
