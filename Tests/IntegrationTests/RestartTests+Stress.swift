import Foundation
import Testing

extension RestartTests {
    @Suite(.serialized) struct Stress {
        /// Open fds and resident memory of a process.
        private static func footprint(_ pid: Int32) throws -> (fds: Int, rssKiB: Int) {
            let fds = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count
            let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
            let rss = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
                .flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true)[1]) } ?? 0
            return (fds, rss)
        }

        /// Lets a fresh generation settle and serve, so that what is measured is steady state:
        /// its channel to the predecessor closes once that one has exited.
        private static func warm(_ address: TestAddress, family: ServerFamily) throws {
            for _ in 0..<20 { _ = try ServeTests.get("/hello", from: address) }
            let pid = try #require(family.currentPID)
            var last = -1
            _ = poll(timeout: .seconds(5)) { () -> Bool? in
                let count = (try? footprint(pid).fds) ?? -1
                defer { last = count }
                return count == last ? true : nil
            }
        }

        @Test func fdsAndMemoryStayFlatAcrossFiftyRestarts() throws {
            let (family, address) = try RestartTests.start { RestartTests.config($0, pidFile: $1) }
            try Self.warm(address, family: family)
            let afterOne = try Self.footprint(try family.restart())
            try Self.warm(address, family: family)
            let baseline = try Self.footprint(try #require(family.currentPID))
            var pid: Int32 = 0
            for _ in 0..<49 { pid = try family.restart() }
            try Self.warm(address, family: family)
            let after = try Self.footprint(pid)
            #expect(after.fds == baseline.fds, "fds: \(afterOne.fds) after one restart, \(after.fds) after fifty")
            #expect(after.rssKiB < baseline.rssKiB + 8 * 1024,
                    "RSS: \(baseline.rssKiB) KiB after one restart, \(after.rssKiB) KiB after fifty")
            try family.stop()
        }

        @Test func aStormOfSignalsEndsWithOneServingGeneration() throws {
            let (family, address) = try RestartTests.start { RestartTests.config($0, pidFile: $1) }
            var most = 0
            try RestartTests.underLoad(address) {
                for _ in 0..<10 {
                    if let pid = family.currentPID { kill(pid, SIGHUP) }
                    usleep(10_000)
                    most = max(most, family.processCount)
                }
                // Whatever restarts the storm caused, it settles to a single generation.
                guard poll(timeout: .seconds(30), { family.processCount == 1 ? true : nil }) != nil else {
                    Issue.record("still \(family.processCount) processes 30s after the storm:\n\(family.log)")
                    return
                }
            }
            #expect(most <= 4, "at most a successor and a few draining generations, saw \(most)")
            #expect(try ServeTests.get("/hello", from: address).text == RestartTests.body)
            try family.stop()
        }
    }
}
