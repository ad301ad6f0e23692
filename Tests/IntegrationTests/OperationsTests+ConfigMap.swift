import Foundation
import Testing
import TestSupport

extension OperationsTests {
    /// A config mounted from a Kubernetes ConfigMap, with `restart.watch: [config]`: the
    /// kubelet's update swaps every file at once, and the server restarts once for it.
    @Suite(.serialized) struct ConfigMap {
        /// The main file: process settings, and the servers from `servers.yaml` beside it.
        static func main(_ site: TestSite) -> String {
            """
            include: [servers.yaml]
            pid_file: \(site.path("run.pid"))
            control: \(site.path("control.sock"))
            restart: { watch: [config], wait_child: 5s }
            log: { access: false }
            """
        }

        /// The included file; `/hello` answers `${GREETING} VERSION`.
        static func servers(_ address: TestAddress, version: String) -> String {
            """
            servers:
              - name: web
                listen: ["\(address)"]
                timeouts: { drain_grace: 200ms, shutdown: 5s }
                routes:
                  - path: /hello
                    respond: "${GREETING:-hi} \(version)\\n"
            """
        }

        @Test func anUpdateOfTheConfigMapRestartsOnce() throws {
            let site = try TestSite()
            let address = TestAddress.tcp(host: "127.0.0.1", port: try LoopbackPort.free())
            var volume = try ConfigMapVolume(path: site.path("config"), files: [
                "site.yaml": Self.main(site), "servers.yaml": Self.servers(address, version: "v1"),
            ])
            let config = volume.path + "/site.yaml"
            let first = try ZeroDTServeBinary.start(["--config", config], environment: ["GREETING": "hello"],
                                                    currentDirectory: site.directory)
            try first.waitForStandardError(containing: "] serving ")
            try Watch.waitUntilWatching(pid: first.pid, config: config, directory: site.directory)
            let family = ServerFamily(site: site, first: first, pidFile: site.path("run.pid"))
            let server = OperationsTests.Server(family: family, address: address)
            #expect(try OperationsTests.hello(server) == "hello v1\n")

            try volume.update(["site.yaml": Self.main(site), "servers.yaml": Self.servers(address, version: "v2")])
            let second = try Watch.newPID(server, after: first.pid)
            try server.family.waitForExit(of: first.pid)
            try Watch.waitUntilWatching(pid: second, config: config, directory: site.directory)
            #expect(try OperationsTests.hello(server) == "hello v2\n")

            // For several watch intervals and settle periods, generation 2 serves on and no
            // second restart follows.
            let until = ContinuousClock.now + .seconds(2)
            while ContinuousClock.now < until {
                #expect(try OperationsTests.hello(server) == "hello v2\n")
                usleep(50_000)
            }
            #expect(server.family.currentPID == second)
            let status = try ZeroDTServeBinary.run(["status", "--config", config], currentDirectory: site.directory)
            #expect(status.standardOutput.contains("generation: 2\n"), "\(status)")
            let changes = server.family.log.split(separator: "\n")
                .filter { $0.contains("\(volume.path)/") && $0.contains(" changed") }
            #expect(changes.count == 1, "one change for the whole swap:\n\(server.family.log)")
            #expect(!server.family.log.contains("another one will follow"), "\(server.family.log)")
            try server.family.stop()
        }
    }
}
