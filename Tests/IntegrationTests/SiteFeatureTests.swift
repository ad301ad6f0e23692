import Foundation
import Testing

/// `headers:`, `error_pages:` and the static `fallback:` and `browse:`, through
/// `zerodt-module-fixture` (zerodt-serve plus a module that always fails).
@Suite(.serialized) struct SiteFeatureTests {
    static let notFoundPage = "<h1>not here</h1>\n"
    static let serverErrorPage = "<h1>our fault</h1>\n"

    /// A site with every feature, started; the caller stops it.
    static func start(in site: TestSite) throws -> (RunningProcess, Int) {
        for directory in ["public", "errors", "app", "files/sub dir"] {
            try FileManager.default.createDirectory(atPath: site.path(directory), withIntermediateDirectories: true)
        }
        _ = try site.write("public/a.txt", "a\n")
        _ = try site.write("errors/404.html", notFoundPage)
        _ = try site.write("errors/5xx.html", serverErrorPage)
        _ = try site.write("app/index.html", "<h1>app</h1>\n")
        _ = try site.write("app/real.js", "run()\n")
        _ = try site.write("files/<b>&\"x\" y.txt", "1\n")
        _ = try site.write("files/ünï.txt", "22\n")
        _ = try site.write("files/.secret", "no\n")
        let port = try LoopbackPort.free()
        let config = try site.write("site.yaml", """
            servers:
              - name: web
                listen: [127.0.0.1:\(port)]
                headers:
                  set: { X-Frame-Options: DENY, Cache-Control: no-cache }
                  remove: [Accept-Ranges]
                error_pages: { 404: errors/404.html, 5xx: errors/5xx.html }
                routes:
                  - { path: /site/, static: public }
                  - { path: /app/, static: { root: app, fallback: /index.html } }
                  - { path: /files/, static: { root: files, browse: true } }
                  - path: /api
                    respond: { status: 404, body: "{}", content_type: application/json }
                    headers: { set: { Cache-Control: no-store }, remove: [X-Frame-Options] }
                  - { path: /fail, handler: fail }
            """)
        let process = try RunningProcess(executable: try ZeroDTServeBinary.path(of: "zerodt-module-fixture"),
                                         arguments: ["--config", config],
                                         currentDirectory: site.directory)
        try process.waitForStandardError(containing: "] ready")
        return (process, port)
    }

    static func stop(_ process: RunningProcess) throws {
        process.send(SIGTERM)
        #expect(try process.waitForExit().status == 0)
    }

    @Test func headersGoOnFilesRedirects304sAndErrorsAndRoutesOverrideThem() throws {
        let site = try TestSite()
        let (process, port) = try Self.start(in: site)
        let client = try HTTPTestClient(port: port)
        let file = try client.request("GET", "/site/a.txt")
        #expect(file.status == 200)
        #expect(file.headers["X-Frame-Options"] == "DENY")
        #expect(file.headers["Cache-Control"] == "no-cache")
        #expect(file.headers["Accept-Ranges"] == nil)
        let tag = try #require(file.headers["ETag"])
        let notModified = try client.request("GET", "/site/a.txt", headers: ["If-None-Match: \(tag)"])
        #expect(notModified.status == 304)
        #expect(notModified.headers["X-Frame-Options"] == "DENY")
        #expect(notModified.headers["Cache-Control"] == "no-cache")
        let redirect = try client.request("GET", "/site")
        #expect(redirect.status == 301)
        #expect(redirect.headers["Location"] == "/site/")
        #expect(redirect.headers["X-Frame-Options"] == "DENY")
        let refused = try client.request("POST", "/site/a.txt")
        #expect(refused.status == 405)
        #expect(refused.headers["Allow"] == "GET, HEAD")
        #expect(refused.headers["X-Frame-Options"] == "DENY")
        #expect(refused.text == "405 Method Not Allowed\n", "no page for 405 or 4xx")
        // Twice: a fixed response the route amends is never sent as a message kept from before.
        for _ in 1...2 {
            let api = try client.request("GET", "/api")
            #expect(api.status == 404)
            #expect(api.text == "{}", "a route's own body is its answer, not an error page")
            #expect(api.headers["Content-Type"] == "application/json")
            #expect(api.headers["Cache-Control"] == "no-store")
            #expect(api.headers["X-Frame-Options"] == nil)
        }
        try Self.stop(process)
    }

    @Test func errorPagesKeepTheStatusAndAReloadRereadsThem() throws {
        let site = try TestSite()
        let (process, port) = try Self.start(in: site)
        let client = try HTTPTestClient(port: port)
        for path in ["/nowhere", "/site/missing.txt", "/app/missing.js"] {
            let missing = try client.request("GET", path)
            #expect(missing.status == 404, "\(path)")
            #expect(missing.text == Self.notFoundPage, "\(path)")
            #expect(missing.headers["Content-Type"] == "text/html; charset=utf-8", "\(path)")
            #expect(missing.headers["X-Frame-Options"] == "DENY", "\(path)")
        }
        let head = try client.request("HEAD", "/nowhere")
        #expect(head.status == 404)
        #expect(head.headers["Content-Length"] == String(Self.notFoundPage.utf8.count))
        #expect(head.body.isEmpty)
        let failed = try client.request("GET", "/fail")
        #expect(failed.status == 500)
        #expect(failed.text == Self.serverErrorPage)

        _ = try site.write("errors/404.html", "changed\n")
        process.send(SIGHUP)
        let log = try process.waitForStandardError(containing: "; handing over", timeout: .seconds(30))
        let successor = try #require(HelloModuleExampleTests.successorPID(in: log))
        try process.waitForStandardError(containing: "handed over to pid \(successor)", timeout: .seconds(30))
        #expect(try HTTPTestClient(port: port).request("GET", "/nowhere").text == "changed\n")
        // The successor holds the first process's stderr: it must end before that process counts as gone.
        kill(successor, SIGTERM)
        #expect(try process.waitForExit(timeout: .seconds(15)).status == 0)
    }

    @Test func theFallbackServesUnknownPathsButNotMissingAssetsOrOtherFiles() throws {
        let site = try TestSite()
        let (process, port) = try Self.start(in: site)
        let client = try HTTPTestClient(port: port)
        let page = try client.request("GET", "/app/users/42")
        #expect(page.status == 200)
        #expect(page.text == "<h1>app</h1>\n")
        let tag = try #require(page.headers["ETag"])
        #expect(try client.request("GET", "/app/settings", headers: ["If-None-Match: \(tag)"]).status == 304)
        #expect(try client.request("GET", "/app/real.js").text == "run()\n")
        #expect(try client.request("GET", "/app/missing.js").status == 404)
        for target in ["/app/..%2f..%2fetc%2fpasswd", "/app/%2e%2e/%2e%2e/etc/passwd", "/app/../site.yaml"] {
            let escaped = try HTTPTestClient(port: port).request("GET", target)
            #expect(!escaped.text.contains("root:") && !escaped.text.contains("servers:"), "\(target)")
        }
        try Self.stop(process)
    }

    @Test func listingsEscapeNamesAndHideDotFiles() throws {
        let site = try TestSite()
        let (process, port) = try Self.start(in: site)
        let client = try HTTPTestClient(port: port)
        let html = try client.request("GET", "/files/")
        #expect(html.status == 200)
        #expect(html.headers["Content-Type"] == "text/html; charset=utf-8")
        #expect(html.text.contains("<a href=\"./sub%20dir/\">sub dir/</a>"))
        #expect(html.text.contains("<a href=\"./%3Cb%3E%26%22x%22%20y.txt\">&lt;b&gt;&amp;&quot;x&quot; y.txt</a>"))
        #expect(html.text.contains("<a href=\"./%C3%BCn%C3%AF.txt\">ünï.txt</a>"))
        #expect(!html.text.contains("secret"))
        let linked = try client.request("GET", "/files/%3Cb%3E%26%22x%22%20y.txt")
        #expect(linked.text == "1\n", "the link leads to the file")
        let json = try client.request("GET", "/files/", headers: ["Accept: application/json"])
        #expect(json.headers["Content-Type"] == "application/json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.body)) as? [String: Any])
        let entries = try #require(object["entries"] as? [[String: Any]])
        #expect(entries.compactMap { $0["name"] as? String } == ["sub dir", "<b>&\"x\" y.txt", "ünï.txt"])
        #expect(try client.request("GET", "/files/.secret").status == 404)
        try Self.stop(process)
    }

    @Test func checkVerifiesErrorPagesAndTheFallbackWhereTheyAreWritten() throws {
        let site = try TestSite()
        try FileManager.default.createDirectory(atPath: site.path("app"), withIntermediateDirectories: true)
        let file = try site.write("site.yaml", """
            servers:
              - name: web
                listen: [":8080"]
                error_pages: { 404: errors/404.html }
                routes:
                  - { path: /, static: { root: app, fallback: /index.html } }

            """)
        let output = try ZeroDTServeBinary.run(["check", "--config", file])
        #expect(output.status == 1, "\(output)")
        #expect(output.standardError == """
            \(file):4:25: error: cannot read error page '\(site.directory)/errors/404.html': no such file
                error_pages: { 404: errors/404.html }
                                    ^
            \(file):6:51: error: fallback file '\(site.directory)/app/index.html' does not exist
                  - { path: /, static: { root: app, fallback: /index.html } }
                                                              ^
            \(file): 2 errors

            """)
    }
}
