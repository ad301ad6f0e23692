import Foundation
import Testing

/// `zerodt-serve --config`, through the built binary and raw sockets. The suites run one at
/// a time: several of them measure timeouts, which a loaded two-core machine would skew.
@Suite(.serialized) struct ServeTests {
    /// A server named `web` with routes the tests share. `settings` is YAML spliced into
    /// the server (`timeouts:`, `limits:`), indented by four spaces; `site` goes at the top level.
    static func config(listen: [TestAddress], settings: String = "", site: String = "") -> String {
        """
        servers:
          - name: web
            listen: [\(listen.map { "\"\($0)\"" }.joined(separator: ", "))]
        \(settings)
            routes:
              - path: /hello
                respond:
                  status: 201
                  body: "hello\\n"
                  content_type: text/x-greeting
                  headers:
                    X-Test: one
                    Cache-Control: no-store
              - path: /docs/
                respond: "docs\\n"
              - path: /old
                redirect: { to: /new, status: 301 }
              - path: /moved/
                redirect: { to: "https://new.example/", status: 308 }
              - path: /legacy/
                redirect: { to: / }
        log: { access: false }
        \(site)
        """
    }

    /// Serves `config(…)` on a free loopback port for the duration of `body`, which gets the
    /// address. The server must survive the test; it is killed afterwards.
    static func withServer<T>(settings: String = "", _ body: (TestAddress) throws -> T) throws -> T {
        let site = try TestSite()
        let address = TestAddress.tcp(host: "127.0.0.1", port: try LoopbackPort.free())
        let process = try site.serve(config(listen: [address], settings: settings))
        defer { process.kill() }
        let result = try body(address)
        #expect(process.isRunning, "zerodt-serve exited during the test:\n\(process.standardError)")
        return result
    }

    /// `GET path` on a new connection.
    static func get(_ path: String, from address: TestAddress) throws -> HTTPTestResponse {
        try HTTPTestClient(connectingTo: address).exchange("GET \(path) HTTP/1.1\r\nHost: test\r\n\r\n")
    }

    /// Sends SIGTERM and waits up to `timeout` for the process to exit.
    static func stop(_ process: RunningProcess, timeout: Duration = .seconds(10)) throws -> ProcessOutput {
        process.send(SIGTERM)
        return try process.waitForExit(timeout: timeout)
    }
}
