import Foundation
import Testing

extension RestartTests {
    /// A stop during a hand-over stops the service whichever generation it reaches, and
    /// returns only once every generation has exited (the sockets are free again).
    @Suite(.serialized) struct StopDuringHandOver {
        /// Generation 1 and 2, with generation 1 kept draining by an idle keep-alive
        /// connection for the drain grace (2 s).
        private static func handingOver() throws -> (family: ServerFamily, address: TestAddress, old: Int32,
                                                    new: Int32, idle: HTTPTestClient) {
            let (family, address) = try RestartTests.start(
                { RestartTests.config($0, pidFile: $1, extra: "control: control.sock", drainGrace: "2s") })
            let idle = try HTTPTestClient(connectingTo: address)
            #expect(try idle.exchange("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n").status == 200)
            let old = family.first.pid
            let reload = try ZeroDTServeBinary.run(["reload", "--config", family.site.configFile],
                                                   currentDirectory: family.site.directory)
            #expect(reload.status == 0, "\(reload)")
            let new = try #require(family.currentPID)
            #expect(new != old && isAlive(old), "generation 1 must still be draining")
            return (family, address, old, new, idle)
        }

        @Test func aStopThatReachesOnlyTheOldGenerationStopsTheSuccessorToo() throws {
            let (family, address, old, new, idle) = try Self.handingOver()
            try withExtendedLifetime(idle) {
                kill(old, SIGTERM)
                try family.waitForExit(of: new, timeout: .seconds(10))
                try family.waitForExit(of: old, timeout: .seconds(10))
            }
            #expect(throws: HTTPTestClientError.self, "nothing serves after a stop") {
                try ServeTests.get("/hello", from: address)
            }
            #expect(family.log.contains("is stopping") || family.log.contains("stopping: draining"), "\(family.log)")
        }

        @Test func stopSentToTheSuccessorReturnsOnceTheOldGenerationHasExitedToo() throws {
            let (family, address, old, new, idle) = try Self.handingOver()
            let stop = try withExtendedLifetime(idle) {
                try ZeroDTServeBinary.run(["stop", "--config", family.site.configFile],
                                          currentDirectory: family.site.directory)
            }
            #expect(stop.status == 0, "\(stop)")
            #expect(!isAlive(new) && !isAlive(old), "stop returned while a generation still runs:\n\(family.log)")
            #expect(throws: HTTPTestClientError.self, "nothing serves after a stop") {
                try ServeTests.get("/hello", from: address)
            }
            #expect(!FileManager.default.fileExists(atPath: family.pidFile), "the pid file is removed")
        }
    }
}
