import Foundation
import Testing
import TestSupport

extension TLSTests {
    /// Certificates are read by the generation that serves: a reload renews them, a reload
    /// with a broken one fails and the old generation keeps serving.
    @Suite(.serialized) struct Reload {
        /// Serves `site.pem` with a control socket and a pid file; `drain_grace` is long enough
        /// for a test to use a connection of the old generation after the hand-over.
        static func start(drainGrace: String = "5s", shutdown: String = "10s",
                          write: String? = nil) throws -> (HTTPSSite, RunningProcess) {
            let https = try HTTPSSite(certificates: ["site"])
            let top = "control: \(https.site.path("control.sock"))\npid_file: \(https.site.path("run.pid"))"
            let timeouts = "    timeouts: { drain_grace: \(drainGrace), shutdown: \(shutdown)\(write.map { ", write: \($0)" } ?? "") }"
            let process = try https.site.serve(https.config(certificates: ["site"], server: timeouts, top: top))
            return (https, process)
        }

        /// Stops whichever generation serves now (the first one is long gone after a reload),
        /// so that no test leaves a server behind, then makes sure of the first.
        static func stop(_ https: HTTPSSite, _ process: RunningProcess) {
            _ = try? ZeroDTServeBinary.run(["stop", "--config", https.site.configFile], currentDirectory: https.site.directory)
            process.kill()
        }

        static func reload(_ https: HTTPSSite) throws -> ProcessOutput {
            try ZeroDTServeBinary.run(["reload", "--config", https.site.configFile], currentDirectory: https.site.directory)
        }

        @Test func renewedCertificatesServeNewConnectionsWhileAnOpenOneIsAnswered() throws {
            let (https, process) = try Self.start()
            defer { Self.stop(https, process) }
            let before = try #require(https.leaves["site"]?.serial)
            #expect(try TLSTestClients.servedSerial(port: https.port, serverName: "site.test") == before)
            let kept = try TLSKeepAliveConnection(port: https.port, serverName: "site.test", caFile: https.ca.certificate)
            let request = "GET /hi HTTP/1.1\r\nHost: site.test\r\n\r\n"
            try kept.exchange(request, endingWith: "hi\n")

            let renewed = try https.issue("site").serial
            #expect(renewed != before)
            let reload = try Self.reload(https)
            #expect(reload.status == 0, "\(reload)")
            #expect(try TLSTestClients.servedSerial(port: https.port, serverName: "site.test") == renewed)
            #expect(try https.curl("/hi", name: "site").standardOutput == "hi\n")

            // The old generation drains: the connection it holds gets its answer, marked as the
            // last one, and is then closed.
            let output = try kept.exchange(request, endingWith: "hi\n")
            #expect(output.components(separatedBy: "HTTP/1.1 200 OK").count == 3, "\(output)")
            #expect(output.contains("Connection: close\r\n"), "\(output)")
            #expect(try kept.waitForClose().status == 0)
        }

        @Test func aReloadWithABrokenCertificateFailsAndServingGoesOn() throws {
            let (https, process) = try Self.start()
            defer { Self.stop(https, process) }
            let serial = try #require(https.leaves["site"]?.serial)
            try Data("-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n".utf8)
                .write(to: URL(fileURLWithPath: https.site.path("site.pem")))
            let reload = try Self.reload(https)
            #expect(reload.status == 1)
            #expect(reload.standardError.contains("reload failed: invalid config:\n\(https.site.configFile):5:37: error: "
                                                  + "'\(https.site.path("site.pem"))' is not a PEM certificate chain"),
                    "\(reload.standardError)")
            #expect(try TLSTestClients.servedSerial(port: https.port, serverName: "site.test") == serial)
            #expect(try https.curl("/hi", name: "site").standardOutput == "hi\n")
        }

        /// An upload that a reload finds under way, over HTTP/1.1 and over HTTP/2: the old
        /// generation reads all of its body, answers it, and only then closes (HTTP/2: GOAWAY).
        /// curl sends 24 KiB at 4 KiB/s, so the body is still arriving for seconds after the
        /// hand-over, well within `drain_grace` and `shutdown`.
        @Test(arguments: ["--http1.1", "--http2"])
        func anUploadInFlightAcrossAReloadIsReadAndAnswered(version: String) throws {
            let (https, process) = try Self.start()
            defer { Self.stop(https, process) }
            let upload = https.site.path("upload.bin")
            try Data(count: 24 * 1024).write(to: URL(fileURLWithPath: upload))
            let client = try RunningProcess(executable: "/usr/bin/env", arguments: [
                "curl", "--silent", "--show-error", "--verbose", version, "--cacert", https.ca.certificate,
                "--resolve", "site.test:\(https.port):127.0.0.1", "--limit-rate", "4k", "--data-binary", "@" + upload,
                "--write-out", "%{http_code} %{http_version}", "https://site.test:\(https.port)/hi",
            ])
            // The request has started (its head is sent) before the reload is asked for.
            try client.waitForStandardError(containing: "> POST /hi HTTP/")
            let reload = try Self.reload(https)
            #expect(reload.status == 0, "\(reload)")
            #expect(client.isRunning, "the upload outlasts the hand-over")
            let output = try client.waitForExit(timeout: .seconds(20))
            let expected = version == "--http2" ? "hi\n200 2" : "hi\n200 1.1"
            #expect(output.status == 0 && output.standardOutput == expected, "\(output)")
        }

        /// An HTTP/2 download that a reload finds under way and that the client reads slowly
        /// (Tests/Tools/h2_slow_download.py). The old generation has written the whole answer
        /// into its kernel long before the client has read it, and then closes; the client
        /// still sends while it reads (WINDOW_UPDATE frames). A socket closed with that on its
        /// way makes the kernel answer with a reset: the file must arrive whole.
        /// - With a small receive buffer, most of the answer is still in the server's kernel
        ///   when the old generation closes (a plain close threw those megabytes away).
        /// - With a larger one, the last few hundred KiB are in the client's kernel,
        ///   acknowledged, while the client still reads them and still sends: a close once
        ///   everything was acknowledged reset the client before it had read them.
        /// - With a short `timeouts.write` and a slower reader, the end of the answer takes the
        ///   client longer than that after the old generation has written it all: a client
        ///   that keeps taking it is not cut (the wait is judged by progress).
        @Test(arguments: [(rate: 2_000_000, receiveBuffer: 64 << 10, size: 4 << 20, write: nil),
                          (rate: 1_000_000, receiveBuffer: 256 << 10, size: 4 << 20, write: nil),
                          (rate: 100_000, receiveBuffer: 64 << 10, size: 512 << 10, write: "1s")])
        func aSlowHTTP2DownloadInFlightAcrossAReloadArrivesWhole(rate: Int, receiveBuffer: Int, size: Int,
                                                                 write: String?) throws {
            let (https, process) = try Self.start(drainGrace: "1s", shutdown: "30s", write: write)
            defer { Self.stop(https, process) }
            var generator = SplitMix64(seed: 7)
            var body = Data(capacity: size)
            for _ in 0..<(size / 8) {
                withUnsafeBytes(of: generator.next()) { body.append(contentsOf: $0) }
            }
            try FileManager.default.createDirectory(atPath: https.site.path("public"), withIntermediateDirectories: true)
            try body.write(to: URL(fileURLWithPath: https.site.path("public/big.bin")))
            let tool = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("../Tools/h2_slow_download.py").standardized.path
            let client = try RunningProcess(executable: "/usr/bin/env", arguments: [
                "python3", tool, String(https.port), "site.test", "/files/big.bin", https.ca.certificate, String(rate),
                String(receiveBuffer),
            ])
            try client.waitForStandardOutput(toSatisfy: "say started") { $0.contains("started") }
            let reload = try Self.reload(https)
            #expect(reload.status == 0, "\(reload)")
            let output = try client.waitForExit(timeout: .seconds(30))
            let sum = try RunningProcess.run("/usr/bin/env", arguments: ["sha256sum", https.site.path("public/big.bin")])
            let digest = String(sum.standardOutput.prefix(64))
            #expect(output.status == 0 && output.standardOutput.hasSuffix("complete \(size) \(digest)\n"),
                    "\(output)")
        }

        /// A client that neither closes nor goes quiet once the final GOAWAY has reached it
        /// (Tests/Tools/h2_talkative_idle.py) but reads, and answers PINGs: the PING that goes
        /// with the final GOAWAY shows it has read everything, and the old generation closes
        /// the connection then and ends its drain, rather than wait for the client to close
        /// until `timeouts.write` (a minute here, as the drain's deadline) for fear it is
        /// still reading.
        @Test func aClientThatKeepsTalkingAfterTheFinalGoAwayIsClosedOnceItHasReadEverything() throws {
            let (https, process) = try Self.start(drainGrace: "1s", shutdown: "60s", write: "60s")
            defer { Self.stop(https, process) }
            let tool = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("../Tools/h2_talkative_idle.py").standardized.path
            let client = try RunningProcess(executable: "/usr/bin/env", arguments: [
                "python3", tool, String(https.port), "site.test", "/hi", https.ca.certificate,
            ])
            try client.waitForStandardOutput(toSatisfy: "say answered") { $0.contains("answered") }
            let reload = try Self.reload(https)
            #expect(reload.status == 0, "\(reload)")
            // The first generation is our child (its stderr stays open in its successor).
            #expect(poll(timeout: .seconds(20)) { process.isRunning ? nil : true } == true,
                    "the old generation has drained")
            let output = try client.waitForExit(timeout: .seconds(5))
            #expect(output.status == 0 && output.standardOutput.contains("goaway 1\nended: "), "\(output)")
            #expect(output.standardOutput.contains("closed: "), "\(output)")
        }

        /// Enough for one curl run to outlast a reload (about 0.1 s) on a loaded machine.
        static let requestsPerRound = 300

        @Test func keepAliveRequestsGoOnThroughTenReloads() throws {
            let (https, process) = try Self.start()
            defer { Self.stop(https, process) }
            // curl reuses its connection for URLs of one run; each run spans some reloads,
            // and a run's connection may be one that a draining generation closes after an
            // answer, which curl then replaces.
            var failures: [String] = []
            for round in 0..<10 {
                let urls = (0..<Self.requestsPerRound).map { _ in "https://site.test:\(https.port)/hi" }
                let client = try RunningProcess(executable: "/usr/bin/env", arguments: [
                    "curl", "--silent", "--show-error", "--fail", "--http1.1", "--cacert", https.ca.certificate,
                    "--resolve", "site.test:\(https.port):127.0.0.1",
                ] + urls)
                let reload = try Self.reload(https)
                #expect(reload.status == 0, "round \(round): \(reload)")
                let output = try client.waitForExit(timeout: .seconds(20))
                if output.status != 0 || output.standardOutput != String(repeating: "hi\n", count: Self.requestsPerRound) {
                    failures.append("round \(round): \(output)")
                }
            }
            #expect(failures.isEmpty, "\(failures)")
        }
    }
}
