import NIOCore
import Testing
import ZeroDTHTTP
@testable import ZeroDTServe

/// What `headers:`, `error_pages:`, `fallback:` and `browse:` decode to.
@Suite struct SiteFeatureConfigTests {
    @Test func decodesHeadersErrorPagesFallbackAndBrowse() throws {
        let base = try TemporaryDirectory()
        defer { base.remove() }
        try base.makeDirectory("public")
        try base.write("public/index.html", "<h1>app</h1>")
        try base.write("404.html", "<h1>missing</h1>")
        try base.write("5xx.txt", "sorry")
        let site = try #require(loadValid("""
            servers:
              - name: a
                listen: [":80"]
                headers:
                  set: { X-Frame-Options: DENY, Cache-Control: no-cache }
                  remove: [X-Powered-By]
                error_pages: { 404: 404.html, 5xx: 5xx.txt }
                routes:
                  - path: /
                    static: { root: public, fallback: /index.html, browse: true }
                    headers: { set: { cache-control: no-store } }
                  - path: /js/
                    static: { root: public, fallback: index.html, fallback_extensions: true }
            """, baseDirectory: base.path))
        let server = site.servers[0]
        #expect(server.headers == ResponseHeaderRules(set: [.init(name: "X-Frame-Options", value: "DENY"),
                                                           .init(name: "Cache-Control", value: "no-cache")],
                                                     remove: ["X-Powered-By"]))
        #expect(server.errorPages.exact[404] == ErrorPages.Page(body: ByteBuffer(string: "<h1>missing</h1>"),
                                                                contentType: "text/html; charset=utf-8"))
        #expect(server.errorPages.classes[5] == ErrorPages.Page(body: ByteBuffer(string: "sorry"),
                                                                contentType: "text/plain; charset=utf-8"))
        #expect(server.routes[0].headers == ResponseHeaderRules(set: [.init(name: "cache-control", value: "no-store")]))
        guard case .staticFiles(let app) = server.routes[0].action, case .staticFiles(let js) = server.routes[1].action
        else {
            Issue.record("expected static routes")
            return
        }
        #expect(app.fallback == StaticFallback(path: "index.html"))
        #expect(app.browse)
        #expect(js.fallback == StaticFallback(path: "index.html", includesExtensions: true))
        #expect(!js.browse)
    }

    @Test func anErrorPageOverTheLimitIsRefused() throws {
        let base = try TemporaryDirectory()
        defer { base.remove() }
        try base.write("big.html", String(repeating: "x", count: ErrorPages.maximumSize + 1))
        let found = diagnostics(loading: """
            servers:
              - name: a
                listen: [":80"]
                error_pages: { 500: big.html }
                routes: [{ path: /, respond: hi }]
            """, baseDirectory: base.path)
        #expect(found == ["4:25: error page '\(base.path)/big.html' is larger than 1 MiB"])
    }
}
