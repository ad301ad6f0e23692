import Foundation
import Testing

extension OperationsTests {
    /// `sd_notify` to a test's own NOTIFY_SOCKET: what systemd would receive, in order, and
    /// each from the process that is the main pid at that moment (`NotifyAccess=main`).
    @Suite(.serialized) struct Notify {
        static func sequence(notifyPath: String) throws {
            let notify = try NotifySocket(path: notifyPath)
            let server = try OperationsTests.start(environment: ["NOTIFY_SOCKET": notify.variable])
            let first = server.family.first.pid

            let ready = try notify.waitFor(field: "READY=1")
            #expect(ready.senderPID == first)
            #expect(ready["STATUS"] == "serving (generation 1, pid \(first))", "\(ready)")

            // A successful restart: RELOADING, then MAINPID of the successor with READY, both
            // from the old main pid.
            let second = try server.family.restart()
            let reloading = try notify.waitFor(field: "RELOADING=1")
            #expect(reloading.senderPID == first)
            let microseconds = try #require(reloading["MONOTONIC_USEC"].flatMap(UInt64.init), "\(reloading)")
            var now = timespec()
            clock_gettime(CLOCK_MONOTONIC, &now)
            #expect(microseconds <= UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec / 1000))
            let handOver = try notify.waitFor("with MAINPID=") { $0["MAINPID"] != nil }
            #expect(handOver["MAINPID"] == "\(second)", "\(handOver)")
            #expect(handOver.fields.contains("READY=1"), "\(handOver)")
            #expect(handOver.senderPID == first, "the old main announces its successor")
            #expect(handOver["STATUS"] == "serving (generation 2, pid \(second))", "\(handOver)")

            // A failed restart: RELOADING, then READY with a STATUS that says so, from generation 2.
            try "servers:\n  - name: web\n    listen: []\n".write(toFile: server.site.configFile, atomically: true,
                                                                  encoding: .utf8)
            let before = notify.received.count
            kill(second, SIGHUP)
            let failed = try notify.waitFor("with STATUS=reload failed") {
                $0["STATUS"]?.hasPrefix("reload failed: ") == true
            }
            #expect(failed.fields.contains("READY=1"), "\(failed)")
            #expect(failed.senderPID == second)
            #expect(failed["STATUS"]?.hasPrefix("reload failed: invalid config: \(server.site.configFile):2:5: error: ") == true,
                    "the first diagnostic: \(failed)")

            // Stop: STOPPING from generation 2.
            try server.family.stop()
            let stopping = try notify.waitFor(field: "STOPPING=1")
            #expect(stopping.senderPID == second)

            // The order, as systemd sees it.
            let keys = notify.received.map { message in
                message.fields.first { ["READY=1", "RELOADING=1", "STOPPING=1"].contains($0) || $0.hasPrefix("MAINPID=") }
                    .map { $0.hasPrefix("MAINPID=") ? "MAINPID" : $0 } ?? "?"
            }
            #expect(keys == ["READY=1", "RELOADING=1", "MAINPID", "RELOADING=1", "READY=1", "STOPPING=1"],
                    "\(notify.received.map(\.description).joined(separator: "\n"))")
            #expect(notify.received[before...].first?.fields.contains("RELOADING=1") == true)
            for message in notify.received {
                let status = try #require(message["STATUS"], "every message carries a STATUS= line: \(message)")
                let pid = message["MAINPID"] ?? "\(message.senderPID)"
                #expect(status.contains("(generation ") && status.hasSuffix(", pid \(pid))"), "\(message)")
            }
        }

        @Test func aPathSocketReceivesTheSequence() throws {
            let site = try TestSite()
            try Self.sequence(notifyPath: site.path("notify.sock"))
        }

        @Test func anAbstractSocketReceivesTheSequence() throws {
            try Self.sequence(notifyPath: "@zerodt-test-notify-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        }
    }
}
