import Foundation
import Testing
import TestSupport

extension CompressionTests {
    /// `encode:` on bodies above the one-shot size: compressed as they are sent, with no
    /// `Content-Length` (HTTP/1.1 chunked, HTTP/2 DATA frames, HTTP/1.0 up to the close).
    @Suite(.serialized) struct Streaming {
        /// 20 MiB of numbered lines of random hex digits: text that gzip shrinks only to about
        /// 55 %, so that the compressed body (11 MiB) is more than loopback's socket buffers
        /// hold (4 MiB to send, 6 MiB to receive at most): a client that stops reading holds
        /// the server's stream up.
        static let bigSize = 20 << 20

        static func writeBigText(_ path: String) throws {
            var generator = SplitMix64(seed: 15)
            var text = ""
            text.reserveCapacity(bigSize + 200)
            var line = 0
            while text.utf8.count < bigSize {
                text += "\(line): "
                for _ in 0..<4 { text += String(generator.next(), radix: 16) }
                text += "\n"
                line += 1
            }
            try Data(text.utf8.prefix(bigSize)).write(to: URL(fileURLWithPath: path))
        }

        /// The route that serves `public/` (`prepare`) under `/encoded/` with `encode: gzip`.
        static let routes = """
                  - path: /encoded/
                    static: public
                    encode: gzip
            """

        static func prepare(_ site: TestSite) throws {
            try FileManager.default.createDirectory(atPath: site.path("public"), withIntermediateDirectories: true)
            try writeBigText(site.path("public/big.txt"))
            _ = try site.write("public/small.txt", "small\n")
        }

        /// A prepared site served on a free loopback port, with `top` at the config's top level.
        static func start(top: String) throws -> (TestSite, TestAddress, RunningProcess) {
            let site = try TestSite()
            try prepare(site)
            let address = TestAddress.tcp(host: "127.0.0.1", port: try LoopbackPort.free())
            let process = try CompressionTests.serve(site, listen: "[\"\(address)\"]", routes: routes, top: top)
            return (site, address, process)
        }

        /// Whether `compressed`, gunzipped, is byte for byte the file at `original` (gzip and
        /// cmp do the work: no zlib in this target).
        static func gunzips(_ compressed: [UInt8], to original: String, in site: TestSite) throws -> Bool {
            let file = site.path("received.gz")
            try Data(compressed).write(to: URL(fileURLWithPath: file))
            let output = try RunningProcess.run("/bin/sh", arguments: ["-c", "gzip -dc '\(file)' | cmp - '\(original)'"])
            return output.status == 0
        }

        @Test func aLargeFileComesBackChunkedOverHTTP11AndUpToTheCloseOverHTTP10() throws {
            let (site, address, process) = try Self.start(top: "log: { access: { file: access.log, format: common } }")
            defer { process.kill() }
            let original = try #require(FileManager.default.contents(atPath: site.path("public/big.txt")))
            let url = "http://\(address)/encoded/big.txt"

            let chunked = try CompressionTests.fetch(url, ["--http1.1", "--compressed"], in: site)
            #expect(chunked.status == 200)
            #expect(chunked.headers["content-encoding"] == "gzip")
            #expect(chunked.headers["transfer-encoding"] == "chunked")
            #expect(chunked.headers["content-length"] == nil)
            #expect(chunked.headers["vary"] == "Accept-Encoding")
            #expect(chunked.body == original, "curl decoded \(chunked.body.count) bytes")

            let raw = try CompressionTests.fetch(url, ["--http1.1", "--header", "Accept-Encoding: gzip"], in: site)
            #expect(raw.body.count < Self.bigSize * 2 / 3, "compressed")
            // The access log counts the compressed bytes sent (once the body has ended).
            let logged = "\"GET /encoded/big.txt HTTP/1.1\" 200 \(raw.body.count)\n"
            let log = poll(timeout: .seconds(10)) {
                (try? String(contentsOfFile: site.path("access.log"), encoding: .utf8)).flatMap { $0.contains(logged) ? $0 : nil }
            }
            #expect(log != nil, "no line ending with \(logged)")

            let old = try CompressionTests.fetch(url, ["--http1.0", "--compressed"], in: site)
            #expect(old.statusLine.hasPrefix("HTTP/1.0 200"))
            #expect(old.headers["transfer-encoding"] == nil && old.headers["content-length"] == nil)
            #expect(old.headers["connection"] == "close")
            #expect(old.body == original)
        }

        @Test func aConnectionGoesOnAfterAChunkedResponseAndAfterAHead() throws {
            let (site, address, process) = try Self.start(top: "log: { access: false }")
            defer { process.kill() }
            let client = try HTTPTestClient(connectingTo: address)
            let get = "GET /encoded/big.txt HTTP/1.1\r\nHost: test\r\nAccept-Encoding: gzip\r\n\r\n"
            let first = try client.exchange(get, timeout: .seconds(30))
            #expect(first.status == 200)
            #expect(first.headers["Transfer-Encoding"] == "chunked")
            #expect(try Self.gunzips(first.body, to: site.path("public/big.txt"), in: site))

            let head = try client.exchange("HEAD /encoded/big.txt HTTP/1.1\r\nHost: test\r\nAccept-Encoding: gzip\r\n\r\n",
                                           method: "HEAD")
            #expect(head.headers["Content-Encoding"] == "gzip")
            #expect(head.headers["Vary"] == "Accept-Encoding")
            #expect(head.headers["Content-Length"] == nil)

            // Pipelined: the second waits for the first's last chunk, on the same connection.
            try client.send(get + "GET /encoded/small.txt HTTP/1.1\r\nHost: test\r\nAccept-Encoding: gzip\r\n\r\n")
            let second = try client.readResponse(timeout: .seconds(30))
            #expect(second.body == first.body, "HEAD sent no body: the bytes after it were this response's")
            let small = try client.readResponse()
            #expect(small.status == 200 && small.text == "small\n", "\(small)")
            #expect(!client.peerHasClosed)
        }

        @Test func aLargeFileComesBackOverHTTP2() throws {
            let https = try TLSTests.HTTPSSite(certificates: ["site"])
            let site = https.site
            try Self.prepare(site)
            let process = try CompressionTests.serve(https, routes: Self.routes, top: "log: { access: false }")
            defer { process.kill() }
            let fetched = try CompressionTests.fetch("https://site.test:\(https.port)/encoded/big.txt", [
                "--http2", "--compressed", "--cacert", https.ca.certificate,
                "--resolve", "site.test:\(https.port):127.0.0.1",
            ], in: site)
            #expect(fetched.statusLine.hasPrefix("HTTP/2 200"), "\(fetched.statusLine)")
            #expect(fetched.headers["content-encoding"] == "gzip")
            #expect(fetched.headers["content-length"] == nil)
            #expect(fetched.body == FileManager.default.contents(atPath: site.path("public/big.txt")))
        }

        /// A download the client reads slowly (a small receive window, and no reading while
        /// the reload runs): the old generation goes on compressing and sending it through
        /// the hand-over and past the drain grace, completes it, answers the request
        /// pipelined behind it, then closes the connection and exits.
        @Test func aReloadInTheMiddleOfAStreamedDownloadCompletesIt() throws {
            let (site, address, process) = try Self.start(top: "control: control.sock\npid_file: run.pid")
            defer { process.kill() }
            let family = ServerFamily(site: site, first: process, pidFile: site.path("run.pid"))
            let client = try HTTPTestClient(connectingTo: address, receiveBuffer: 16 * 1024)
            try client.send("GET /encoded/big.txt HTTP/1.1\r\nHost: test\r\nAccept-Encoding: gzip\r\n\r\n")
            let head = try client.waitForHead()
            #expect(head.status == 200 && head.headers["Transfer-Encoding"] == "chunked", "\(head)")
            // Pipelined behind the body: the drain must answer it after the body, not drop it.
            try client.send("GET /encoded/small.txt HTTP/1.1\r\nHost: test\r\n\r\n")
            let reload = try ZeroDTServeBinary.run(["reload", "--config", site.configFile],
                                                   currentDirectory: site.directory)
            #expect(reload.status == 0, "\(reload)")
            let logged = "\"GET /encoded/big.txt HTTP/1.1\" 200 "
            #expect(!family.log.contains(logged), "the body is still being sent (it is logged at its end)")
            let rest = try client.readResponse(timeout: .seconds(60))
            #expect(rest.status == 200)
            #expect(try Self.gunzips(rest.body, to: site.path("public/big.txt"), in: site))
            let next = try client.readResponse()
            #expect(next.text == "small\n" && next.headers["Connection"] == "close",
                    "a request after it is answered by the draining generation, marked as the last")
            #expect(client.waitForClose() == .endOfFile(received: []))
            try family.waitForExit(of: process.pid)
            #expect(family.log.contains("[gen 1 pid \(process.pid)] \(logged)\(rest.body.count) "),
                    "the old generation sent it all: \(family.log)")
        }
    }
}

extension CompressionTests.Streaming {
    /// Compressing is work the event loops must not be held by: a small request is answered
    /// while every one of several slow (level 9) compressed downloads is still running. Made
    /// in event-loop tasks one after another, the pieces kept a loop from polling its sockets
    /// until its downloads had ended.
    @Test func aSmallRequestIsAnsweredWhileCompressedDownloadsRun() throws {
        let site = try TestSite()
        try Self.prepare(site)
        let address = TestAddress.tcp(host: "127.0.0.1", port: try LoopbackPort.free())
        let process = try CompressionTests.serve(site, listen: "[\"\(address)\"]", routes: """
                  - path: /encoded/
                    static: public
                    encode: gzip
                    encode_level: 9
            """)
        defer { process.kill() }
        let files = (0..<6).map { site.path("download\($0).gz") }
        let downloads = try files.map { file in
            try RunningProcess(executable: "/usr/bin/curl", arguments: [
                "--silent", "--http1.1", "--header", "Accept-Encoding: gzip", "--output", file,
                "http://\(address)/encoded/big.txt"])
        }
        defer { downloads.forEach { $0.kill() } }
        // Every download under way: some of its body has arrived.
        let started = poll(timeout: .seconds(20)) {
            files.allSatisfy { ((try? FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int) ?? 0) > 0 }
                ? true : nil
        }
        try #require(started == true, "the downloads did not start")
        let small = try CompressionTests.fetch("http://\(address)/encoded/small.txt", ["--max-time", "30"], in: site)
        #expect(small.status == 200)
        let running = downloads.filter(\.isRunning).count
        #expect(running == downloads.count, "the small request waited for the downloads to end")
    }
}
