import Foundation
import Testing

/// `handler: metrics` through the real binary, read with the Prometheus client's own parser
/// (Python's prometheus_client, Tests/Tools/check_metrics.py): counters go on across
/// zero-downtime restarts under load, and not one request goes uncounted.
@Suite(.serialized) struct MetricsTests {
    /// `RestartTests.config` with a `/metrics` route beside `/hello`.
    static func config(_ address: TestAddress, pidFile: String) -> String {
        RestartTests.config(address, pidFile: pidFile).replacingOccurrences(of: """
                  - path: /hello
            """, with: """
                  - path: /metrics
                    handler: metrics
                  - path: /hello
            """)
    }

    static func scrape(_ address: TestAddress, accept: String? = nil) throws -> HTTPTestResponse {
        let client = try HTTPTestClient(connectingTo: address)
        return try client.request("GET", "/metrics", headers: accept.map { ["Accept: \($0)"] } ?? [])
    }

    /// Runs the checker on two scrapes; returns the requests it counted per route in `after`.
    static func check(before: String, after: String, restarts: Int, in site: TestSite) throws -> [String: Double] {
        let (beforeFile, afterFile) = (site.path("before.prom"), site.path("after.prom"))
        try before.write(toFile: beforeFile, atomically: true, encoding: .utf8)
        try after.write(toFile: afterFile, atomically: true, encoding: .utf8)
        let checker = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../Tools/check_metrics.py").standardized.path
        // No python3 or no prometheus_client is a failure, never a skip (.ci/run installs them).
        let output = try RunningProcess.run("/usr/bin/env", arguments: ["python3", checker, beforeFile, afterFile,
                                                                         String(restarts)])
        guard output.status == 0, !output.signalled else {
            throw ProcessTestError(description: "check_metrics.py: \(output)")
        }
        let facts = try JSONSerialization.jsonObject(with: Data(output.standardOutput.utf8)) as? [String: Any]
        return facts?["requests"] as? [String: Double] ?? [:]
    }

    @Test func countersGoOnAcrossThreeReloadsUnderLoad() throws {
        let (family, address) = try RestartTests.start(Self.config)
        defer { try? family.stop() }
        let before = try Self.scrape(address)
        #expect(before.status == 200)
        #expect(before.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8")
        let load = LoadGenerator(address: address, path: "/hello", expectedBody: RestartTests.body, workers: 8)
        load.start()
        _ = poll(timeout: .seconds(10)) { load.completed > 200 ? true : nil }
        var thrown: (any Error)?
        do {
            for _ in 0..<3 { try family.restart() }
        } catch {
            thrown = error
        }
        let after = load.completed + 200
        _ = poll(timeout: .seconds(10)) { load.completed > after ? true : nil }
        let report = load.stop()
        if let thrown { throw thrown }
        #expect(report.failures == 0 && report.refused == 0, "\(report)")
        // Every answered request is counted once, by whichever generation answered it: the
        // last drain's count arrives with its end, so wait for it (bounded).
        var counted: [String: Double] = [:]
        let all = poll(timeout: .seconds(10)) { () -> Bool? in
            guard let scrape = try? Self.scrape(address), scrape.status == 200,
                  let requests = try? Self.check(before: before.text, after: scrape.text, restarts: 3, in: family.site)
            else { return nil }
            counted = requests
            return Int(requests["/hello"] ?? 0) == report.requests ? true : nil
        }
        #expect(all == true, "requests counted \(counted), answered \(report)")
        // The checker's own verdict on the last scrape, should the loop have hidden it.
        _ = try Self.check(before: before.text, after: try Self.scrape(address).text, restarts: 3, in: family.site)
    }

    /// What the old generation counts after it stopped accepting arrives with the end of its
    /// drain: here a connection the drain deadline closed, and how long the drain took.
    @Test func theOldGenerationsDrainIsCountedByItsSuccessor() throws {
        let (family, address) = try RestartTests.start { address, pidFile in
            Self.config(address, pidFile: pidFile).replacingOccurrences(of: "shutdown: 10s", with: "shutdown: 1s")
        }
        defer { try? family.stop() }
        // A request whose body never comes: the drain waits for it until its deadline.
        let stuck = try HTTPTestClient(connectingTo: address)
        try stuck.send("POST /hello HTTP/1.1\r\nHost: test\r\nContent-Length: 6\r\nExpect: 100-continue\r\n\r\n")
        #expect(try stuck.readResponse().status == 100)
        try stuck.send("abc")
        try family.restart()
        #expect(stuck.waitForClose() == .endOfFile(received: []))
        let text = try Self.scrape(address).text
        #expect(text.contains("zerodt_drain_forced_closes_total 1\n"), "\(text)")
        let drain = text.split(separator: "\n").first { $0.hasPrefix("zerodt_drain_duration_seconds ") }
            .flatMap { Double($0.split(separator: " ")[1]) }
        #expect((drain ?? 0) >= 0.9 && (drain ?? 0) < 5, "\(text)")
        #expect(text.contains("zerodt_generation 2"))
    }

    @Test func routeLabelsAreBoundedAndUnknownMethodsAreOther() throws {
        let (family, address) = try RestartTests.start(Self.config)
        defer { try? family.stop() }
        let client = try HTTPTestClient(connectingTo: address)
        for path in ["/nowhere/1", "/nowhere/2"] { #expect(try client.request("GET", path).status == 404) }
        #expect(try client.request("PROPFIND", "/hello").status == 200)
        let text = try Self.scrape(address, accept: "application/openmetrics-text").text
        #expect(text.contains(#"zerodt_http_requests_total{server="web",route="unrouted",method="GET",code="404"} 2"#),
                "\(text)")
        #expect(text.contains(#"zerodt_http_requests_total{server="web",route="/hello",method="other",code="200"} 1"#),
                "\(text)")
        #expect(!text.contains("/nowhere"))
        #expect(text.contains(#"zerodt_generation 1"#))
        #expect(text.contains(#"zerodt_build_info{version=""#))
    }

    /// A scrape that reaches the old generation over a keep-alive connection it still has,
    /// after its successor took over, gets 503: the old figures run ahead of the successor's
    /// until the drain ends, and the next scrape would see the series go back.
    @Test func aGenerationThatNoLongerAcceptsRefusesScrapes() throws {
        let (family, address) = try RestartTests.start { address, pidFile in
            RestartTests.config(address, pidFile: pidFile, drainGrace: "10s").replacingOccurrences(of: """
                      - path: /hello
                """, with: """
                      - path: /metrics
                        handler: metrics
                      - path: /hello
                """)
        }
        defer { try? family.stop() }
        let kept = try HTTPTestClient(connectingTo: address)
        #expect(try kept.request("GET", "/metrics").status == 200)
        let old = try #require(family.currentPID)
        kill(old, SIGHUP)
        let new = poll(timeout: .seconds(20)) { family.currentPID.flatMap { $0 != old ? $0 : nil } }
        #expect(new != nil, "no successor took over:\n\(family.log)")
        #expect(isAlive(old), "the old generation drains its keep-alive connection for drain_grace")
        let refused = try kept.request("GET", "/metrics")
        #expect(refused.status == 503, "\(refused)")
        #expect(try Self.scrape(address).status == 200, "the successor serves the metrics")
    }
}
