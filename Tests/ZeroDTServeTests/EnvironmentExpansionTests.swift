import Foundation
import Testing
import ZeroDTHTTP
@testable import ZeroDTServe

/// `${NAME}` and `${NAME:-default}` in values (malformed ones are in
/// `InvalidConfigCorpus+Environment.swift`).
@Suite struct EnvironmentExpansionTests {
    @Test(arguments: [
        ("plain text", "plain text"),
        ("${A}", "alpha"),
        ("${A}-${B}-${A}", "alpha-beta-alpha"),
        ("${UNSET:-fallback}", "fallback"),
        ("${A:-fallback}", "alpha"),
        ("${EMPTY}", ""),
        ("x${EMPTY}y", "xy"),
        ("${EMPTY:-fallback}", "fallback"),
        ("${UNSET:-}", ""),
        ("${UNSET:-a b: [c]}", "a b: [c]"),
        ("$$", "$"),
        ("$${A}", "${A}"),
        ("$$$${A}", "$${A}"),
        ("$$${A}", "$alpha"),
        ("$HOME, pa$word, 5$, $", "$HOME, pa$word, 5$, $"),
        ("$${A:-x} ${A}", "${A:-x} alpha"),
        ("${A}}", "alpha}"),
        ("é${A}é", "éalphaé"),
    ])
    func expands(_ written: String, _ expected: String) {
        let environment = ["A": "alpha", "B": "beta", "EMPTY": ""]
        let expansion = EnvironmentReference.expand(written, environment: environment)
        #expect(expansion.problems == [])
        #expect(expansion.text == expected)
    }

    @Test func theBareNameIsTheFirstOneNotInBraces() {
        #expect(EnvironmentReference.expand("$$HOME ${A:-x} $USER_1/$HOME", environment: [:]).bareName == "USER_1")
        #expect(EnvironmentReference.expand("cost: 5$ or $5", environment: [:]).bareName == nil)
    }

    @Test func referencesExpandInListenAddressesDurationsNumbersAndBooleans() throws {
        let text = """
            servers:
              - name: "${NAME:-web}"
                listen: ["${HOST:-127.0.0.1}:${PORT:-8080}", "unix:${RUN}/web.sock"]
                timeouts:
                  shutdown: ${GRACE:-30s}
                  idle: "${IDLE}"
                limits:
                  max_connections: ${MAX}
                routes:
                  - path: /
                    respond:
                      status: ${STATUS:-200}
                      body: "${GREETING} costs $$5 at $HOME"
            log:
              access: ${ACCESS:-false}
            """
        let site = try #require(loadValid(text, baseDirectory: "/", environment: [
            "PORT": "9000", "RUN": "/tmp", "IDLE": "1m", "MAX": "77", "GREETING": "a: [b]", "ACCESS": "",
        ]))
        let server = try #require(site.servers.first)
        #expect(server.name == "web")
        #expect(server.listen.map(\.address) == [.tcp(host: "127.0.0.1", port: 9000), .unix(path: "/tmp/web.sock")])
        #expect(server.http.shutdownTimeout == .seconds(30))
        #expect(server.http.idleTimeout == .seconds(60))
        #expect(server.http.maxConnections == 77)
        #expect(server.routes.first?.action == .respond(RespondConfig(body: "a: [b] costs $5 at $HOME")))
        #expect(site.log.access == false, "an empty ACCESS takes the default")
    }

    @Test func expansionKeepsEveryLocation() throws {
        let text = """
            servers:
              - name: web
                listen: ["${ADDRESS}"]
                routes: [{ path: /, respond: hi }]
            """
        let site = try #require(loadValid(text, baseDirectory: "/", environment: ["ADDRESS": ":8080"]))
        #expect(site.servers.first?.listen.first?.location == at(3, 14))
    }

    @Test func theEndpointsOfABrokenConfigExpandToo() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = try directory.write("site.yaml", """
            servers: oops
            control: ${RUN}/control.sock
            pid_file: "${UNSET}/zerodt.pid"
            """)
        let endpoints = ConfigLoader.endpoints(file: file, environment: ["RUN": "/run/zerodt"])
        #expect(endpoints == ConfigLoader.Endpoints(control: "/run/zerodt/control.sock", pidFile: nil))
    }

    @Test func theLoaderExpandsFromTheProcessEnvironmentByDefault() {
        #expect(ConfigLoader().environment == ProcessInfo.processInfo.environment)
    }
}
