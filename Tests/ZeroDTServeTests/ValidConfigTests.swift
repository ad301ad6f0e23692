import Foundation
import Testing
import ZeroDTHTTP
import ZeroDT
@testable import ZeroDTServe

@Suite struct ValidConfigTests {
    static let everyFeature = """
        servers:
          - name: web
            listen:
              - 127.0.0.1:8080
              - "[::1]:8080"
              - address: unix:run/web.sock
                name: web-unix
                backlog: 128
                mode: 0660
              - address: ":9090"
                name: metrics
            timeouts:
              read_header: 5s
              idle: 1m30s
              write: 250ms
              shutdown: 20s
              drain_grace: 0
            limits:
              max_header_size: 32KiB
              max_body_size: 0
              max_connections: 500
            routes:
              - path: /
                static:
                  root: public
                  index: [index.html, index.htm]
                  symlinks: inside_root
                  cache_control: no-cache
                  hidden: true
              - path: /assets/
                static: ./public/../public
              - path: /healthz
                respond: "ok\\n"
              - path: /teapot
                respond:
                  status: 418
                  body: short and stout
                  content_type: text/html
                  headers:
                    X-Tea: earl grey
                    Cache-Control: no-store
              - path: /old
                redirect: /new
              - path: /moved/
                redirect:
                  to: https://example.com/
                  status: 308
              - path: /echo
                handler: echo
                options:
                  greeting: hi
          - name: admin
            listen: ["localhost:8081"]
            routes: [{ path: /, respond: admin }]
        restart:
          wait_child: 2m
          wait_parent: 500ms
          watch: [binary, config, watched.txt]
        pid_file: run/zerodt.pid
        control: run/control.sock
        log:
          level: debug
          format: json
          access: false
        """

    /// The base directory with what `everyFeature` points at; removed by the caller.
    static func makeBase() throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        try directory.makeDirectory("public")
        try directory.makeDirectory("run")
        try directory.write("watched.txt", "")
        return directory
    }

    static var echoModule: ModuleRegistry {
        var registry = ModuleRegistry()
        registry.register("echo") { _ in [] }
        return registry
    }

    @Test func decodesEveryFeature() throws {
        let base = try Self.makeBase()
        defer { base.remove() }
        let site = try #require(loadValid(Self.everyFeature, baseDirectory: base.path, modules: Self.echoModule))
        let root = base.path

        #expect(site.file == "site.yaml")
        #expect(site.servers.map(\.name) == ["web", "admin"])
        let web = site.servers[0]
        #expect(web.location == at(2, 5))
        #expect(web.listen == [
            ListenerConfig(address: .tcp(host: "127.0.0.1", port: 8080), location: at(4, 9)),
            ListenerConfig(address: .tcp(host: "::1", port: 8080), location: at(5, 9)),
            ListenerConfig(address: .unix(path: "\(root)/run/web.sock"), name: "web-unix", backlog: 128,
                           mode: 0o660, location: at(6, 9)),
            ListenerConfig(address: .tcp(host: nil, port: 9090), name: "metrics", location: at(10, 9)),
        ])
        var http = HTTPServerConfiguration()
        http.readHeaderTimeout = .seconds(5)
        http.idleTimeout = .seconds(90)
        http.writeTimeout = .milliseconds(250)
        http.shutdownTimeout = .seconds(20)
        http.drainGrace = .zero
        http.maxHeaderSize = 32 * 1024
        http.maxBodySize = 0
        http.maxConnections = 500
        #expect(web.http == http)

        #expect(web.routes.map(\.path) == ["/", "/assets/", "/healthz", "/teapot", "/old", "/moved/", "/echo"])
        #expect(web.routes.map(\.location.line) == [23, 30, 32, 34, 42, 44, 48])
        let actions = web.routes.map(\.action)
        #expect(actions[0] == .staticFiles(StaticConfig(root: "\(root)/public", index: ["index.html", "index.htm"],
                                                        symlinks: .insideRoot, cacheControl: "no-cache", hidden: true)))
        #expect(actions[1] == .staticFiles(StaticConfig(root: "\(root)/public")), "the root is standardized")
        #expect(actions[2] == .respond(RespondConfig(body: "ok\n")))
        #expect(actions[3] == .respond(RespondConfig(
            status: 418, body: "short and stout",
            headers: [("X-Tea", "earl grey"), ("Cache-Control", "no-store")], contentType: "text/html")))
        #expect(actions[4] == .redirect(RedirectConfig(to: "/new", status: 302)))
        #expect(actions[5] == .redirect(RedirectConfig(to: "https://example.com/", status: 308)))
        guard case .handler(let handler) = actions[6] else {
            Issue.record("expected a handler route, got \(actions[6])")
            return
        }
        #expect(handler.name == "echo")
        #expect(handler.options?.value == .mapping([ConfigNode.Entry(
            key: "greeting", keyLocation: at(51, 11),
            value: ConfigNode(value: .scalar("hi", plain: true), location: at(51, 21)))]))

        let admin = site.servers[1]
        #expect(admin.listen == [ListenerConfig(address: .tcp(host: "127.0.0.1", port: 8081), location: at(53, 14))])
        #expect(admin.http == HTTPServerConfiguration())

        #expect(site.restart == RestartConfig(waitChild: .seconds(120), waitParent: .milliseconds(500),
                                              watch: [.binary, .config, .file("\(root)/watched.txt")]))
        #expect(site.pidFile == "\(root)/run/zerodt.pid")
        #expect(site.control == "\(root)/run/control.sock")
        #expect(site.log == LogConfig(level: .debug, format: .json, access: false))
        #expect(site.listeners.count == 5)
        #expect(site.routes.count == 8)
    }

    @Test func appliesDefaultsWhenOptionalSectionsAreAbsent() throws {
        let site = try #require(loadValid("""
            servers:
              - name: a
                listen: [":80"]
                routes: [{ path: /, respond: hi }]
            """, baseDirectory: "/"))
        #expect(site.restart == RestartConfig())
        #expect(site.restart.waitChild == Runtime.Options.defaultWaitChild)
        #expect(site.log == LogConfig())
        #expect(site.pidFile == nil)
        #expect(site.control == nil)
        // The HTTP server's own defaults; no max_connections: the server picks the default,
        // capped below the open-file limit.
        #expect(site.servers[0].http == HTTPServerConfiguration())
        #expect(site.servers[0].http.maxConnections == nil)
        #expect(site.servers[0].listen[0].backlog == ListenerConfig.defaultBacklog)
    }

    @Test func readsTheBodyTimeout() throws {
        let site = try #require(loadValid("""
            servers:
              - name: a
                listen: [":80"]
                timeouts: { read_body: 45s }
                routes: [{ path: /, respond: hi }]
            """, baseDirectory: "/"))
        #expect(site.servers[0].http.readBodyTimeout == .seconds(45))
        #expect(site.warnings.isEmpty)
    }

    @Test func resolvesAbsolutePathsAsWritten() throws {
        let base = try Self.makeBase()
        defer { base.remove() }
        let site = try #require(loadValid("""
            servers:
              - name: a
                listen: ["unix:\(base.path)/run/a.sock"]
                routes: [{ path: /, static: "\(base.path)/public" }]
            pid_file: \(base.path)/run/a.pid
            """, baseDirectory: "/elsewhere"))
        #expect(site.listeners[0].address == .unix(path: "\(base.path)/run/a.sock"))
        #expect(site.routes[0].action == .staticFiles(StaticConfig(root: "\(base.path)/public")))
        #expect(site.pidFile == "\(base.path)/run/a.pid")
    }

    @Test func acceptsTheLongestUnixPathThatFits() throws {
        // sun_path holds 108 bytes including the terminating NUL.
        let path = "/tmp/" + String(repeating: "x", count: ListenAddress.maximumUnixPathLength - 5)
        #expect(path.utf8.count == 107)
        let site = try #require(loadValid("""
            servers:
              - name: a
                listen: ["unix:\(path)"]
                routes: [{ path: /, respond: hi }]
            """, baseDirectory: "/"))
        #expect(site.listeners[0].address.unixPath == path)
    }

    @Test func resolvesAnchorsAndAliases() throws {
        let site = try #require(loadValid("""
            servers:
              - name: a
                listen: [":80"]
                routes: &shared
                  - path: /
                    respond: hi
              - name: b
                listen: [":81"]
                routes: *shared
            """, baseDirectory: "/"))
        #expect(site.servers.map { $0.routes.map(\.path) } == [["/"], ["/"]])
    }

    @Test func quotedScalarsStayStrings() throws {
        let site = try #require(loadValid("""
            servers:
              - name: "true"
                listen: [":80"]
                routes: [{ path: /, respond: { body: "null", status: 201 } }]
            """, baseDirectory: "/"))
        #expect(site.servers[0].name == "true")
        #expect(site.routes[0].action == .respond(RespondConfig(status: 201, body: "null")))
    }

    @Test func moduleDiagnosticsAreReported() {
        var registry = ModuleRegistry()
        registry.register("echo") { options in
            guard let options else { return [.error("echo needs options", at: at(0, 0))] }
            return [.error("echo dislikes these options", at: options.location)]
        }
        let found = diagnostics(loading: """
            servers:
              - name: a
                listen: [":80"]
                routes:
                  - path: /
                    handler: echo
                    options: { loud: true }
                  - path: /b
                    handler: echo
            """, modules: registry)
        #expect(found == ["0:0: echo needs options", "7:18: echo dislikes these options"])
    }

    @Test func loadsTheBundledConfig() throws {
        let file = packageRoot + "/config/site.yaml"
        let site = try ConfigLoader(modules: ZeroDTServe.modules).load(file: file)
        #expect(site.file == file)
        #expect(site.servers.map(\.name) == ["site"])
        #expect(site.listeners.map(\.address) == [.tcp(host: "127.0.0.1", port: 8080)])
        #expect(site.routes.map(\.path) == ["/healthz", "/old-home", "/"])
        #expect(site.routes[2].action == .staticFiles(StaticConfig(
            root: packageRoot + "/examples/site", index: ["index.html"], cacheControl: "public, max-age=60")))
        #expect(site.routes[1].action == .redirect(RedirectConfig(to: "/", status: 301)))
        #expect(site.restart.waitChild == Runtime.Options.defaultWaitChild)
    }

    @Test func redirectToHTTPSKeepsTheRequestsHost() throws {
        let text = """
            servers:
              - name: plain
                listen: [":8080"]
                routes:
                  - path: /
                    redirect: {scheme: https, status: 308}
                  - path: /other/
                    redirect: {scheme: https, port: 8443}
            """
        let site = try #require(loadValid(text, baseDirectory: "/nonexistent-base"))
        #expect(site.routes.map(\.action) == [
            .redirect(RedirectConfig(target: .scheme("https", port: nil), status: 308)),
            .redirect(RedirectConfig(target: .scheme("https", port: 8443), status: 302)),
        ])
    }
}
