import Foundation
import Testing

extension RestartTests {
    /// The successor runs the file at the path the server was started by, symlinks not
    /// resolved: a release installed by rename, or by switching a `current` symlink, is
    /// what serves after the restart. The "releases" are wrapper scripts that run the
    /// real binary (with `exec -a`, so it sees the script's path as its own) on a config
    /// of their own, whose answer tells which release is serving.
    @Suite(.serialized) struct Binary {
        private static func release(_ name: String, in site: TestSite, address: TestAddress) throws -> String {
            let directory = site.path(name)
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let config = directory + "/site.yaml"
            try RestartTests.config(address, pidFile: site.path("run.pid"), body: "\(name)\n")
                .write(toFile: config, atomically: true, encoding: .utf8)
            let script = directory + "/zerodt-serve"
            let real = try ZeroDTServeBinary.path()
            try "#!/bin/bash\nexec -a \"$0\" \(real) --config \(config)\n"
                .write(toFile: script, atomically: true, encoding: .utf8)
            chmod(script, 0o755)
            return script
        }

        private static func serve(_ executable: String, site: TestSite) throws -> ServerFamily {
            let first = try RunningProcess(executable: executable, arguments: [], currentDirectory: site.directory)
            try first.waitForStandardError(containing: "] serving ")
            return ServerFamily(site: site, first: first, pidFile: site.path("run.pid"))
        }

        @Test func aBinaryReplacedByRenameServesAfterTheRestart() throws {
            let site = try TestSite()
            let address = TestAddress.tcp(host: "127.0.0.1", port: try LoopbackPort.free())
            let v1 = try Self.release("v1", in: site, address: address)
            let v2 = try Self.release("v2", in: site, address: address)
            let installed = site.path("zerodt-serve")
            try FileManager.default.copyItem(atPath: v1, toPath: installed)
            let family = try Self.serve(installed, site: site)
            #expect(try ServeTests.get("/hello", from: address).text == "v1\n")

            try FileManager.default.copyItem(atPath: v2, toPath: installed + ".new")
            #expect(rename(installed + ".new", installed) == 0)
            try family.restart()
            #expect(try ServeTests.get("/hello", from: address).text == "v2\n")
            try family.stop()
        }

        @Test func aSwitchedCurrentSymlinkServesAfterTheRestart() throws {
            let site = try TestSite()
            let address = TestAddress.tcp(host: "127.0.0.1", port: try LoopbackPort.free())
            _ = try Self.release("v1", in: site, address: address)
            _ = try Self.release("v2", in: site, address: address)
            let current = site.path("current")
            try FileManager.default.createSymbolicLink(atPath: current, withDestinationPath: "v1")
            let family = try Self.serve(current + "/zerodt-serve", site: site)
            #expect(try ServeTests.get("/hello", from: address).text == "v1\n")

            try FileManager.default.createSymbolicLink(atPath: current + ".new", withDestinationPath: "v2")
            #expect(rename(current + ".new", current) == 0)
            try family.restart()
            #expect(try ServeTests.get("/hello", from: address).text == "v2\n")
            try family.stop()
        }
    }
}
