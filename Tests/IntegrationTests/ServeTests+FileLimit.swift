import Foundation
import Testing

extension ServeTests {
    /// `zerodt-serve` under a small open-file limit (`ulimit -n`), with more idle clients
    /// than it has descriptors for.
    @Suite(.serialized) struct FileLimit {
        private static let openFileLimit = 128

        /// Starts `zerodt-serve` through `sh` with the soft limit lowered; the shell execs
        /// it, so the pid is the server's.
        private static func serve(limits: String, in site: TestSite) throws -> (RunningProcess, TestAddress) {
            let address = TestAddress.tcp(host: "127.0.0.1", port: try LoopbackPort.free())
            _ = try site.write("file.txt", "a static file\n")
            _ = try site.write("site.yaml", """
                servers:
                  - name: web
                    listen: ["\(address)"]
                \(limits)
                    routes:
                      - path: /files/
                        static: { root: \(site.directory) }
                log: { access: false }
                """)
            let process = try RunningProcess(
                executable: "/bin/sh",
                arguments: ["-c", "ulimit -n \(openFileLimit) && exec \"$0\" --config \"$1\"",
                            try ZeroDTServeBinary.path(), site.configFile],
                currentDirectory: site.directory)
            try process.waitForStandardError(containing: "] serving ")
            return (process, address)
        }

        /// CPU time the process used, in clock ticks, from `/proc/<pid>/stat`.
        private static func cpuTicks(of pid: Int32) throws -> Int {
            let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
            // Fields after the parenthesised command: state is 3rd, utime 14th, stime 15th.
            let fields = stat[stat.index(after: stat.lastIndex(of: ")")!)...].split(separator: " ")
            return Int(fields[11])! + Int(fields[12])!
        }

        /// The number of file descriptors the process has open.
        private static func openFiles(of pid: Int32) throws -> Int {
            try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count
        }

        /// Waits until the process holds at least `count` descriptors: it has accepted all it will.
        private static func waitForOpenFiles(_ count: Int, of pid: Int32) throws {
            let reached = poll(timeout: .seconds(10)) { (try? openFiles(of: pid)).flatMap { $0 >= count ? true : nil } }
            try #require(reached != nil, "the server holds \((try? openFiles(of: pid)) ?? -1) descriptors, not \(count)")
        }

        /// The share of one core the process used over `window`.
        private static func cpuShare(of pid: Int32, over window: Duration) throws -> Double {
            let before = try cpuTicks(of: pid)
            let started = ContinuousClock.now
            Thread.sleep(forTimeInterval: Double(window.components.seconds))
            let elapsed = ContinuousClock.now - started
            let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            return Double(try cpuTicks(of: pid) - before) / ticksPerSecond / seconds
        }

        /// Opens `count` connections and leaves them idle.
        private static func idleClients(_ count: Int, to address: TestAddress) throws -> [HTTPTestClient] {
            try (0..<count).map { _ in try HTTPTestClient(connectingTo: address) }
        }

        @Test func theDefaultConnectionLimitLeavesDescriptorsForFiles() throws {
            let site = try TestSite()
            let (process, address) = try Self.serve(limits: "", in: site)
            defer { process.kill() }
            let baseline = try Self.openFiles(of: process.pid)
            let client = try HTTPTestClient(connectingTo: address)
            let idle = try Self.idleClients(Self.openFileLimit + 20, to: address)
            try Self.waitForOpenFiles(baseline + 64, of: process.pid)
            #expect(try client.request("GET", "/files/file.txt").status == 200)
            let share = try Self.cpuShare(of: process.pid, over: .seconds(1))
            #expect(share < 0.2, "accepting spins: \(share) of a core")
            #expect(!process.standardError.contains("accept failed"))
            try process.waitForStandardError(containing: "max_connections capped at 64")
            withExtendedLifetime(idle) {}
        }

        @Test func runningOutOfDescriptorsBacksOffAndLogsOnce() throws {
            let site = try TestSite()
            let (process, address) = try Self.serve(limits: "    limits: { max_connections: 10000 }", in: site)
            defer { process.kill() }
            let idle = try Self.idleClients(Self.openFileLimit + 20, to: address)
            try Self.waitForOpenFiles(Self.openFileLimit - 1, of: process.pid)
            try process.waitForStandardError(containing: "accept failed")
            let share = try Self.cpuShare(of: process.pid, over: .seconds(2))
            #expect(share < 0.2, "accepting spins: \(share) of a core")
            let lines = process.standardError.split(separator: "\n").filter { $0.contains("accept failed") }
            #expect(lines.count == 1, "one line per interval: \(lines)")
            #expect(lines.first?.contains("out of file descriptors") == true)
            #expect(process.standardError.contains("max_connections 10000 leaves too few file descriptors"))
            // Descriptors free again: accepting resumes after the pause.
            idle.forEach { $0.close() }
            #expect(try HTTPTestClient(connectingTo: address).request("GET", "/files/file.txt").status == 200)
        }

        /// The open-file cache holds a descriptor per large file only up to an eighth of the
        /// limit (16 of 128): more large files than that are all served, twice, and the
        /// server holds no more than that many descriptors beyond its own.
        @Test func largeFilesHoldAtMostAnEighthOfTheLimit() throws {
            let site = try TestSite()
            let (process, address) = try Self.serve(limits: "", in: site)
            defer { process.kill() }
            let large = String(repeating: "z", count: 70_000)
            for index in 0..<40 { _ = try site.write("large\(index).txt", large) }
            let client = try HTTPTestClient(connectingTo: address)
            // The first file served opens what every walk keeps open (`/proc/self/fd`).
            #expect(try client.request("GET", "/files/file.txt").status == 200)
            let baseline = try Self.openFiles(of: process.pid)
            for _ in 0..<2 {
                for index in 0..<40 {
                    let response = try client.request("GET", "/files/large\(index).txt")
                    #expect(response.status == 200 && response.body.count == large.utf8.count, "large\(index).txt")
                }
            }
            let held = try Self.openFiles(of: process.pid) - baseline
            #expect(held >= 1 && held <= Self.openFileLimit / 8, "\(held) descriptors held")
        }

        @Test func checkWarnsWhenMaxConnectionsExceedsTheFileLimit() throws {
            let site = try TestSite()
            _ = try site.write("site.yaml", """
                servers:
                  - name: web
                    listen: ["127.0.0.1:\(try LoopbackPort.free())"]
                    limits: { max_connections: 10000 }
                    routes:
                      - { path: /, respond: "ok" }
                """)
            let output = try RunningProcess.run(
                "/bin/sh", arguments: ["-c", "ulimit -n \(Self.openFileLimit) && exec \"$0\" check --config \"$1\"",
                                       try ZeroDTServeBinary.path(), site.configFile])
            #expect(output.status == 0, "\(output)")
            #expect(output.standardError.contains("site.yaml:4:"), "\(output)")
            #expect(output.standardError.contains("warning: 'max_connections' (10000) exceeds"), "\(output)")
        }
    }
}
