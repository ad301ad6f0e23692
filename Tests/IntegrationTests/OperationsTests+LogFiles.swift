import Foundation
import Testing

extension OperationsTests {
    /// `log.file` and `log.access.file`: rotated as logrotate does (move, then SIGUSR1), and
    /// across a reload, under load, not one access line is lost.
    @Suite(.serialized) struct LogFiles {
        @Test func aMovedFileIsReopenedOnSIGUSR1AndNoAccessLineIsLostAcrossARotationAndAReload() throws {
            let site = try TestSite()
            let address = TestAddress.tcp(host: "127.0.0.1", port: try LoopbackPort.free())
            let pidFile = site.path("run.pid")
            let config = RestartTests.config(address, pidFile: pidFile)
                .replacingOccurrences(of: "log: { access: false }",
                                      with: "log: { file: main.log, access: { file: access.log, format: json } }")
            try config.write(toFile: site.configFile, atomically: true, encoding: .utf8)
            let first = try ZeroDTServeBinary.start(["--config", site.configFile], currentDirectory: site.directory)
            let family = ServerFamily(site: site, first: first, pidFile: pidFile)
            guard poll(timeout: .seconds(10), { site.completeLines(of: "main.log").contains { $0.contains("] ready ") } ? true : nil }) != nil
            else {
                throw ProcessTestError(description: "not ready: \(site.completeLines(of: "main.log"))")
            }
            let load = LoadGenerator(address: address, path: "/hello", expectedBody: RestartTests.body, workers: 6)
            load.start()
            _ = poll(timeout: .seconds(10)) { load.completed > 300 ? true : nil }
            // logrotate: move the files away, then tell the server.
            #expect(rename(site.path("access.log"), site.path("access.log.1")) == 0)
            #expect(rename(site.path("main.log"), site.path("main.log.1")) == 0)
            kill(try #require(family.currentPID), SIGUSR1)
            let afterRotation = load.completed + 300
            _ = poll(timeout: .seconds(10)) { load.completed > afterRotation ? true : nil }
            // The same generation writes to a new file now, before any restart.
            #expect(poll(timeout: .seconds(10)) { site.completeLines(of: "access.log").isEmpty ? nil : true } != nil)
            try family.restart()
            let afterReload = load.completed + 300
            _ = poll(timeout: .seconds(10)) { load.completed > afterReload ? true : nil }
            let report = load.stop()
            try family.stop()
            #expect(report.failures == 0, "\(report)")
            let old = site.completeLines(of: "access.log.1")
            let new = site.completeLines(of: "access.log")
            #expect(!old.isEmpty && !new.isEmpty, "lines went to both files")
            #expect(old.count + new.count == report.requests, "\(old.count) + \(new.count) lines for \(report)")
            #expect((old + new).allSatisfy { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) != nil })
            // The log moved on too: the restart and the stop are in the new file.
            #expect(site.completeLines(of: "main.log").contains { $0.contains("[gen 2 pid ") && $0.contains("] stopped") })
        }
    }
}
