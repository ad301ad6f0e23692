import Foundation
import Testing
import TestSupport

/// `hosts:` through the real binary: servers sharing an address, picked by `Host`, the
/// absolute-form target, or HTTP/2's `:authority`; and a reload that moves a host.
@Suite(.serialized) struct VirtualHostTests {
    /// A server named `name` on `address` whose `/who` answers its name.
    static func server(_ name: String, _ address: String, hosts: String? = nil, extra: String = "") -> String {
        """
          - name: \(name)
            listen: [\(address)]
        \(hosts.map { "    hosts: \($0)\n" } ?? "")\(extra)    routes:
              - { path: /who, respond: "\(name)\\n" }
              - { path: /hello, respond: "hello\\n" }

        """
    }

    /// Sends `GET target` with `host` (raw, as given) and returns the response.
    static func get(_ port: Int, _ target: String = "/who", host: String?) throws -> HTTPTestResponse {
        let client = try HTTPTestClient(port: port)
        defer { client.close() }
        let hostLine = host.map { "Host: \($0)\r\n" } ?? ""
        return try client.exchange("GET \(target) HTTP/1.1\r\n\(hostLine)Connection: close\r\n\r\n")
    }

    @Test func theHostPicksTheServerWhateverItsCasePortOrTrailingDot() throws {
        let site = try TestSite()
        let shared = try LoopbackPort.free()
        let lonely = try LoopbackPort.free()
        let address = "127.0.0.1:\(shared)"
        let config = try site.write("site.yaml", "servers:\n"
            + Self.server("apex", address, hosts: "[example.test]",
                          extra: "    headers: { set: { X-Server: apex } }\n    error_pages: { 404: apex-404.html }\n")
            + Self.server("wild", address, hosts: "[\"*.example.test\"]")
            + Self.server("fallback", address)
            + Self.server("named", "127.0.0.1:\(lonely)", hosts: "[named.test]")
            + "log: { access: { file: access.log, format: json } }\n")
        _ = try site.write("apex-404.html", "<h1>apex has no such page</h1>\n")
        let process = try ZeroDTServeBinary.start(["--config", config], currentDirectory: site.directory)
        defer { process.kill() }
        try process.waitForStandardError(containing: "] ready")

        for (host, expected) in [("example.test", "apex"), ("EXAMPLE.Test:\(shared)", "apex"), ("example.test.", "apex"),
                                 ("www.example.test", "wild"), ("A.B.Example.Test.:80", "wild"),
                                 ("other.test", "fallback"), ("127.0.0.1:\(shared)", "fallback")] {
            let response = try Self.get(shared, host: host)
            #expect(response.status == 200 && response.text == "\(expected)\n", "Host: \(host)")
        }
        // The absolute-form target's authority wins over Host (RFC 9112 §3.2.2).
        let absolute = try Self.get(shared, "http://www.example.test:\(shared)/who", host: "example.test")
        #expect(absolute.text == "wild\n")
        // HTTP/1.0 may leave Host out: the default server answers.
        let client = try HTTPTestClient(port: shared)
        #expect(try client.exchange("GET /who HTTP/1.0\r\n\r\n").text == "fallback\n")
        client.close()
        // Each server's own headers and error pages.
        let missing = try Self.get(shared, "/nothing", host: "example.test")
        #expect(missing.status == 404)
        #expect(missing.text == "<h1>apex has no such page</h1>\n")
        #expect(missing.headers["X-Server"] == "apex")
        let otherMissing = try Self.get(shared, "/nothing", host: "other.test")
        #expect(otherMissing.status == 404 && otherMissing.headers["X-Server"] == nil)
        // An address whose servers all have hosts answers other names 404.
        #expect(try Self.get(lonely, host: "named.test").text == "named\n")
        let unknown = try Self.get(lonely, host: "unknown.test")
        #expect(unknown.status == 404)
        #expect(unknown.text == "404 Not Found\n")

        // The access log names the server that answered; an unknown host on an address
        // without a default is logged under its first server, without a route.
        // Each line is queued before its response is sent, so they are in the requests' order.
        let lines = try #require(poll(timeout: .seconds(10)) { () -> [String]? in
            let lines = site.completeLines(of: "access.log")
            return lines.count >= 13 ? lines : nil
        })
        #expect(lines.filter { $0.contains(#""server":"apex""#) }.count == 4)
        #expect(lines.filter { $0.contains(#""server":"wild""#) }.count == 3)
        let unrouted = try #require(lines.last)
        #expect(unrouted.contains(#""server":"named""#) && unrouted.contains(#""status":404"#))
        #expect(!unrouted.contains(#""route""#), "\(unrouted)")
        process.send(SIGTERM)
        #expect(try process.waitForExit().status == 0)
    }

    @Test func overTLSSNIPicksTheCertificateHTTP2AuthorityTheServerAndAMismatchIs421() throws {
        let https = try TLSTests.HTTPSSite(certificates: ["b"])
        https.leaves["a"] = try https.ca.leaf("a", dnsNames: ["a.test", "*.a.test"], in: https.site.directory)
        func server(_ name: String) -> String {
            Self.server(name, "{ address: \"127.0.0.1:\(https.port)\", tls: { certificates: [{ cert: \(name).pem, key: \(name).key }] } }",
                        hosts: "[\(name).test, \"*.\(name).test\"]")
        }
        let config = try https.site.write("site.yaml", "servers:\n" + server("a") + server("b") + "log: { access: false }\n")
        let process = try ZeroDTServeBinary.start(["--config", config], currentDirectory: https.site.directory)
        defer { process.kill() }
        try process.waitForStandardError(containing: "] ready")
        let format = ["-w", "\n%{http_code} %{http_version}"]
        for version in ["--http1.1", "--http2"] {
            // b's certificate is offered on the socket a owns: curl verifies it for b.test.
            for name in ["a", "b"] {
                let answer = try https.curl("/who", name: name, format, version: version)
                #expect(answer.status == 0, "\(answer)")
                #expect(answer.standardOutput == "\(name)\n\n200 \(version == "--http2" ? "2" : "1.1")", "\(version)")
            }
            // SNI a.test, Host (or :authority) b.test: a's certificate does not cover it.
            let misdirected = try https.curl("/who", name: "a", ["-H", "Host: b.test"] + format, version: version)
            #expect(misdirected.standardOutput.hasSuffix("\n421 \(version == "--http2" ? "2" : "1.1")"), "\(misdirected)")
        }
        // A name a's certificate covers by its wildcard may share a's connection (HTTP/2
        // coalescing): not misdirected.
        let covered = try https.curl("/who", name: "a", ["-H", "Host: www.a.test"] + format, version: "--http2")
        #expect(covered.standardOutput == "a\n\n200 2", "\(covered)")
        process.send(SIGTERM)
        #expect(try process.waitForExit().status == 0)
    }

    /// RFC 9112 §3.2: an invalid `Host` (or target authority) is a 400, found before the host
    /// is known: the address owner's, like every error found before routing. Matching is
    /// ASCII, the value's surrounding whitespace is not part of it, and a redirect takes the
    /// host routing took.
    @Test func anInvalidHostIs400FromTheOwnerAndTheRoutedHostIsTheOneUsed() throws {
        let site = try TestSite()
        let port = try LoopbackPort.free()
        let address = "127.0.0.1:\(port)"
        let config = try site.write("site.yaml", "servers:\n"
            + Self.server("a", address, hosts: "[a.test]", extra: "    error_pages: { 400: a-400.html }\n")
            + Self.server("k", address, hosts: "[k.test]")
            + Self.server("owner", address, extra: "    headers: { set: { X-Server: owner } }\n")
            + "  - name: tohttps\n    listen: [\"\(address)\"]\n    hosts: [r.test]\n"
            + "    routes: [{ path: /, redirect: { scheme: https, status: 301 } }]\n"
            + "log: { access: { file: access.log, format: json } }\n")
        _ = try site.write("a-400.html", "<h1>a says bad request</h1>\n")
        let process = try ZeroDTServeBinary.start(["--config", config], currentDirectory: site.directory)
        defer { process.kill() }
        try process.waitForStandardError(containing: "] ready")

        let invalid = ["", ":443", "@", "evil@a.test", ".", "a.test:abc", "a.test:80:90", "a b.test", "a/b.test",
                       "a#b.test", "\u{212A}.test", String(repeating: "a", count: 256)]
        for host in invalid {
            let response = try Self.get(port, host: host)
            #expect(response.status == 400 && response.headers["X-Server"] == "owner", "Host: \(host)")
        }
        // Two Host headers, a list, a bad escape in a request for a.test: still the owner's.
        let client = try HTTPTestClient(port: port)
        let twoHosts = try client.exchange("GET /who HTTP/1.1\r\nHost: a.test\r\nHost: a.test\r\n\r\n")
        #expect(twoHosts.status == 400 && twoHosts.headers["X-Server"] == "owner")
        client.close()
        let unknownMethod = try HTTPTestClient(port: port)
        let notImplemented = try unknownMethod.exchange("FROB /who HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n")
        #expect(notImplemented.status == 501 && notImplemented.headers["X-Server"] == "owner")
        unknownMethod.close()
        for (target, host) in [("/who", "a.test, k.test"), ("/a%zz", "a.test"), ("http:///who", "a.test")] {
            let response = try Self.get(port, target, host: host)
            #expect(response.status == 400 && response.headers["X-Server"] == "owner", "\(target) \(host)")
            #expect(response.text != "<h1>a says bad request</h1>\n")
        }
        // ASCII case folding only; whitespace after the value is not part of it.
        #expect(try Self.get(port, host: "K.TEST").text == "k\n")
        #expect(try Self.get(port, host: "a.test \t").text == "a\n")
        // The redirect names the host that chose its server: the absolute-form authority.
        let redirect = try Self.get(port, "http://r.test/x?y", host: "evil.example")
        #expect(redirect.status == 301)
        #expect(redirect.headers["Location"] == "https://r.test/x?y")

        let lines = try #require(poll(timeout: .seconds(10)) { () -> [String]? in
            let lines = site.completeLines(of: "access.log")
            return lines.count >= invalid.count + 8 ? lines : nil
        })
        let refused = lines.filter { $0.contains(#""status":400"#) }
        #expect(refused.count == invalid.count + 4)
        #expect(refused.allSatisfy { $0.contains(#""server":"owner""#) }, "\(refused)")
        process.send(SIGTERM)
        #expect(try process.waitForExit().status == 0)
    }

    /// Over TLS, a request must name a host the certificate chosen by SNI covers: one that
    /// names none is misdirected, an empty one invalid.
    @Test func overTLSARequestWithoutAHostIs421AndAnEmptyHost400() throws {
        let https = try TLSTests.HTTPSSite(certificates: ["a", "b"])
        func server(_ name: String) -> String {
            Self.server(name, "{ address: \"127.0.0.1:\(https.port)\", tls: { certificates: [{ cert: \(name).pem, key: \(name).key }] } }",
                        hosts: "[\(name).test]")
        }
        let config = try https.site.write("site.yaml", "servers:\n" + server("a") + server("b")
            + Self.server("default", "{ address: \"127.0.0.1:\(https.port)\", tls: { cert: b.pem, key: b.key } }")
            + "log: { access: false }\n")
        let process = try ZeroDTServeBinary.start(["--config", config], currentDirectory: https.site.directory)
        defer { process.kill() }
        try process.waitForStandardError(containing: "] ready")
        let format = ["-w", "%{http_code}", "-o", "/dev/null"]
        for (options, version, expected) in [(["-H", "Host:"], "--http1.0", "421"), (["-H", "Host;"], "--http1.1", "400"),
                                             (["-H", "Host: :443"], "--http1.1", "400"), (["-H", "Host;"], "--http2", "400"),
                                             ([], "--http2", "200")] {
            let answer = try https.curl("/who", name: "a", options + format, version: version)
            #expect(answer.standardOutput == expected, "\(options) \(version): \(answer)")
        }
        process.send(SIGTERM)
        #expect(try process.waitForExit().status == 0)
    }

    @Test func aReloadMovesAHostToAnotherServerWithoutAFailedRequest() throws {
        // The load generator asks for `Host: test`.
        func config(owner: String) -> (TestAddress, String) -> String {
            { address, pidFile in
                "servers:\n"
                    + Self.server("one", "\"\(address)\"", hosts: owner == "one" ? "[test]" : "[one.test]",
                                  extra: "    timeouts: { drain_grace: 300ms, shutdown: 10s }\n")
                    + Self.server("two", "\"\(address)\"", hosts: owner == "two" ? "[test]" : "[two.test]")
                    + "pid_file: \(pidFile)\nlog: { access: false }\n"
            }
        }
        let (family, address) = try RestartTests.start(config(owner: "one"))
        guard case .tcp(_, let port) = address else { throw ProcessTestError(description: "expected TCP") }
        #expect(try Self.get(port, host: "test").text == "one\n")
        try RestartTests.underLoad(address, body: "hello\n") {
            try config(owner: "two")(address, family.pidFile)
                .write(toFile: family.site.configFile, atomically: true, encoding: .utf8)
            try family.restart()
        }
        #expect(try Self.get(port, host: "test").text == "two\n")
        #expect(try Self.get(port, host: "one.test").text == "one\n")
        try family.stop()
    }
}
