import Foundation
import NIOHTTP1
import Testing

@testable import ZeroDTHTTP

@Suite struct StaticFileFallbackTests {
    let tree: TemporaryTree

    init() throws {
        tree = try TemporaryTree()
        try tree.file("index.html", "<h1>app</h1>")
        try tree.file("app.js", "run()")
        try tree.file(".env", "SECRET=1")
        try tree.directory("empty")
    }

    func handler(includesExtensions: Bool = false) throws -> StaticFileHandler {
        try StaticFileHandler(root: tree.path, fallback: StaticFallback(path: "index.html",
                                                                        includesExtensions: includesExtensions))
    }

    @Test func aPathWithoutAFileGetsTheFallbackWithItsValidators() throws {
        let served = try get(handler(), "/users/42")
        #expect(served.status == .ok)
        #expect(served.text == "<h1>app</h1>")
        #expect(served.header("Content-Type") == "text/html; charset=utf-8")
        let tag = try #require(served.header("ETag"))
        let revalidated = try get(handler(), "/users/7", headers: [("If-None-Match", tag)])
        #expect(revalidated.status == .notModified)
        #expect(revalidated.body.isEmpty)
    }

    @Test func existingFilesAreServedAsThemselves() throws {
        #expect(try get(handler(), "/app.js").text == "run()")
        #expect(try get(handler(), "/").text == "<h1>app</h1>")
    }

    @Test func aMissingNameWithAnExtensionStays404UnlessAsked() throws {
        #expect(try get(handler(), "/missing.js").status == .notFound)
        #expect(try get(handler(), "/v1.2/missing.css").status == .notFound)
        #expect(try get(handler(), "/v1.2/users").status == .ok, "only the last segment counts")
        let asked = try get(handler(includesExtensions: true), "/missing.js")
        #expect(asked.status == .ok)
        #expect(asked.text == "<h1>app</h1>")
    }

    @Test func aDirectoryWithoutIndexGetsTheFallback() throws {
        #expect(try get(handler(), "/empty/").text == "<h1>app</h1>")
    }

    @Test func hiddenAndEscapingNamesGetTheFallbackNeverTheirTarget() throws {
        #expect(try get(handler(), "/.env").text == "<h1>app</h1>")
        #expect(try get(handler(), "/x", remainder: "../../etc/passwd").text == "<h1>app</h1>")
    }

    @Test func aMissingFallbackFileIs404() throws {
        let handler = try StaticFileHandler(root: tree.path, fallback: StaticFallback(path: "gone.html"))
        #expect(try get(handler, "/users").status == .notFound)
    }

    @Test(arguments: [("users/42", true), ("", true), ("dir/", true), ("a.js", false), (".well-known", true),
                      ("v1.2/x", true), ("x/y.min.css", false)])
    func appliesByTheLastSegmentsExtension(_ name: String, _ applies: Bool) {
        #expect(StaticFallback(path: "index.html").applies(to: name[...]) == applies)
        #expect(StaticFallback(path: "index.html", includesExtensions: true).applies(to: name[...]))
    }
}
