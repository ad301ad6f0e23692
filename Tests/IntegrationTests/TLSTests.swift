import Foundation
import Testing
import TestSupport

/// HTTPS through the real binary and real clients (curl, `openssl s_client`), with
/// certificates from a throwaway CA made by the test.
@Suite(.serialized) struct TLSTests {
    /// A site with a CA and a leaf per name in `certificates` (its DNS name is `NAME.test`),
    /// serving HTTPS on a free port with those certificates (the first is the default).
    final class HTTPSSite {
        let site: TestSite
        let ca: TestCertificateAuthority
        let port: Int
        var leaves: [String: TestCertificateAuthority.Leaf] = [:]

        init(certificates: [String]) throws {
            site = try TestSite()
            ca = try TestCertificateAuthority(directory: site.path("ca"))
            port = try LoopbackPort.free()
            try FileManager.default.createDirectory(atPath: site.path("public"), withIntermediateDirectories: true)
            for name in certificates { try issue(name) }
        }

        /// A new certificate (and key) for `NAME.test` in `NAME.pem`/`NAME.key`, replacing any before.
        @discardableResult
        func issue(_ name: String) throws -> TestCertificateAuthority.Leaf {
            let leaf = try ca.leaf(name, dnsNames: ["\(name).test"], in: site.directory)
            leaves[name] = leaf
            return leaf
        }

        /// The config: `/hi` answers `hi`, `/files/` serves `public/`; `server` is spliced into the
        /// server at four spaces, `top` at the top level.
        func config(certificates: [String], server: String = "", top: String = "", accessLog: Bool = false) -> String {
            let pairs = certificates.map { "{cert: \($0).pem, key: \($0).key}" }.joined(separator: ", ")
            return """
                servers:
                  - name: web
                    listen:
                      - address: "127.0.0.1:\(port)"
                        tls: {certificates: [\(pairs)]}
                \(server)
                    routes:
                      - path: /hi
                        respond: "hi\\n"
                      - path: /files/
                        static: {root: public}
                log: { access: \(accessLog) }
                \(top)
                """
        }

        /// curl over HTTPS to `path` on `NAME.test`, trusting the CA; HTTP/1.1 unless `version`
        /// says otherwise (`--http2`).
        func curl(_ path: String, name: String, _ options: [String] = [], version: String = "--http1.1") throws
            -> ProcessOutput {
            try TLSTestClients.curl([version, "--cacert", ca.certificate, "--resolve", "\(name).test:\(port):127.0.0.1"]
                                    + options + ["https://\(name).test:\(port)\(path)"])
        }
    }

    @Test func curlGetsRoutesStaticFilesRangesAndHeadOverHTTPS() throws {
        let https = try HTTPSSite(certificates: ["site"])
        // Several chunks of the TLS file path (64 KiB each), and not a multiple of one.
        var generator = SplitMix64(seed: 13)
        let bytes = (0..<(300 * 1024 + 123)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        _ = FileManager.default.createFile(atPath: https.site.path("public/big.bin"), contents: Data(bytes))
        let process = try https.site.serve(https.config(certificates: ["site"], accessLog: true))
        defer { process.kill() }

        #expect(try https.curl("/hi", name: "site").standardOutput == "hi\n")
        let logged = try process.waitForStandardError(containing: "\"GET /hi HTTP/1.1\" 200 3 ")
        #expect(logged.split(separator: "\n").contains { $0.contains("\"GET /hi HTTP/1.1\"") && $0.contains(" scheme=https") })
        let file = try https.curl("/files/big.bin", name: "site", ["--output", https.site.path("got.bin")])
        #expect(file.status == 0, "\(file)")
        #expect(FileManager.default.contents(atPath: https.site.path("got.bin")) == Data(bytes))
        let range = try https.curl("/files/big.bin", name: "site", ["--range", "70000-70009", "--include"])
        #expect(range.standardOutput.hasPrefix("HTTP/1.1 206 Partial Content\r\n"))
        #expect(range.standardOutput.hasSuffix(String(decoding: bytes[70000...70009], as: UTF8.self)))
        let head = try https.curl("/files/big.bin", name: "site", ["--head"])
        #expect(head.standardOutput.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(head.standardOutput.contains("Content-Length: \(bytes.count)\r\n"))
        #expect(try https.curl("/nothing", name: "site", ["--include"]).standardOutput.hasPrefix("HTTP/1.1 404"))
    }

    @Test func sniChoosesTheCertificateByNameAndTheFirstOtherwise() throws {
        let https = try HTTPSSite(certificates: ["a", "b"])
        let process = try https.site.serve(https.config(certificates: ["a", "b"]))
        defer { process.kill() }
        let a = try #require(https.leaves["a"]?.serial)
        let b = try #require(https.leaves["b"]?.serial)
        #expect(a != b)
        #expect(try TLSTestClients.servedSerial(port: https.port, serverName: "a.test") == a)
        #expect(try TLSTestClients.servedSerial(port: https.port, serverName: "b.test") == b)
        #expect(try TLSTestClients.servedSerial(port: https.port, serverName: "B.TEST") == b)
        #expect(try TLSTestClients.servedSerial(port: https.port, serverName: "other.test") == a)
        #expect(try TLSTestClients.servedSerial(port: https.port, serverName: nil) == a)
        #expect(try https.curl("/hi", name: "b").standardOutput == "hi\n")
    }

    @Test func minVersionRefusesOlderClients() throws {
        let https = try HTTPSSite(certificates: ["site"])
        let process = try https.site.serve(https.config(certificates: ["site"]).replacingOccurrences(
            of: "tls: {certificates: [{cert: site.pem, key: site.key}]}",
            with: "tls: {certificates: [{cert: site.pem, key: site.key}], min_version: \"1.3\"}"))
        defer { process.kill() }
        let old = try https.curl("/hi", name: "site", ["--tls-max", "1.2"])
        #expect(old.status == 35, "\(old)")  // CURLE_SSL_CONNECT_ERROR
        #expect(try https.curl("/hi", name: "site", ["--tlsv1.3"]).standardOutput == "hi\n")
    }

    @Test func theServerSendsCloseNotifyWhenItCloses() throws {
        let https = try HTTPSSite(certificates: ["site"])
        let process = try https.site.serve(https.config(certificates: ["site"]))
        defer { process.kill() }
        let request = "GET /hi HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\n\r\n"
        let client = try RunningProcess.run("/bin/sh", arguments: ["-c", "printf '\(request.replacingOccurrences(of: "\r\n", with: "\\r\\n"))' | "
            + "openssl s_client -connect 127.0.0.1:\(https.port) -servername site.test -msg -ign_eof"])
        #expect(client.standardOutput.contains("hi\n"))
        // `<<<` is what s_client received.
        #expect(client.standardOutput.contains("<<< TLS 1.3, Alert [length 0002], warning close_notify"),
                "\(client.standardOutput)")
    }

    @Test func aHandshakeThatDoesNotFinishIsClosedAtReadHeader() throws {
        let https = try HTTPSSite(certificates: ["site"])
        let process = try https.site.serve(https.config(certificates: ["site"],
                                                        server: "    timeouts: { read_header: 1s, idle: 30s }"))
        defer { process.kill() }
        let address = TestAddress.tcp(host: "127.0.0.1", port: https.port)
        let silent = try HTTPTestClient(connectingTo: address)
        let half = try HTTPTestClient(connectingTo: address)
        // A TLS record header announcing a 200-byte ClientHello, and only the start of it.
        try half.send([0x16, 0x03, 0x01, 0x00, 0xC8, 0x01, 0x00, 0x00, 0xC4, 0x03, 0x03] + [UInt8](repeating: 7, count: 20))
        let start = ContinuousClock.now
        for client in [silent, half] {
            #expect(client.waitForClose(timeout: .seconds(5)) == .endOfFile(received: []))
            let elapsed = ContinuousClock.now - start
            #expect(elapsed >= .milliseconds(900) && elapsed < .seconds(3), "after \(elapsed)")
        }
        #expect(try https.curl("/hi", name: "site").standardOutput == "hi\n")
    }

    @Test func checkCountsTLSListenersAndReportsCertificateProblems() throws {
        let https = try HTTPSSite(certificates: ["a", "b"])
        _ = try https.site.write("site.yaml", https.config(certificates: ["a", "b"]))
        let good = try ZeroDTServeBinary.run(["check", "--config", https.site.configFile])
        #expect(good.status == 0)
        #expect(good.standardOutput == "\(https.site.configFile): ok — 1 server, 1 listener (1 TLS), 2 routes\n")
        // a's certificate with b's key.
        try FileManager.default.removeItem(atPath: https.site.path("a.key"))
        try FileManager.default.copyItem(atPath: https.site.path("b.key"), toPath: https.site.path("a.key"))
        let bad = try ZeroDTServeBinary.run(["check", "--config", https.site.configFile])
        #expect(bad.status == 1)
        #expect(bad.standardError.hasPrefix("\(https.site.configFile):5:49: error: the key in '\(https.site.path("a.key"))' "
                                            + "does not belong to the certificate in '\(https.site.path("a.pem"))'\n"),
                "\(bad.standardError)")
    }
}
