import Foundation
import NIOHTTP1
import Testing

@testable import ZeroDTHTTP

@Suite struct StaticFileHandlerTests {
    let tree: TemporaryTree

    init() throws {
        tree = try TemporaryTree()
        try tree.file("hello.txt", "hello, world\n")
        try tree.setModified("hello.txt", seconds: 784_111_777, nanoseconds: 5)
        try tree.file("style.css", "body{}")
        try tree.file("big.bin", patternBytes(StaticFileHandler.inMemoryLimit + 1))
        try tree.file("limit.bin", patternBytes(StaticFileHandler.inMemoryLimit))
        try tree.file("empty.txt", "")
        try tree.file("index.html", "<h1>root</h1>")
        try tree.file("docs/index.html", "<h1>docs</h1>")
        try tree.file("docs/guide.md", "# guide")
        try tree.directory("bare")
        try tree.file("both/index.htm", "htm")
        try tree.file("both/index.html", "html")
        try tree.directory("nested/index.html")
        try tree.file("nested/default.txt", "fallback index")
    }

    func handler(index: [String] = ["index.html"], cacheControl: String? = nil) throws -> StaticFileHandler {
        try StaticFileHandler(root: tree.path, index: index, cacheControl: cacheControl)
    }

    @Test func allowsGetAndHeadOnly() throws {
        #expect(try handler().allowedMethods == [.GET, .HEAD])
    }

    @Test func initThrowsWhenTheRootIsNotADirectory() throws {
        #expect(throws: StaticFileHandler.ConfigurationError.self) {
            try StaticFileHandler(root: tree.path + "/missing")
        }
        #expect(throws: StaticFileHandler.ConfigurationError.self) {
            try StaticFileHandler(root: tree.path + "/hello.txt")
        }
    }

    @Test(arguments: ["", ".", "..", "a/b"])
    func initRejectsIndexNamesThatAreNotPlainFileNames(_ name: String) throws {
        #expect(throws: StaticFileHandler.ConfigurationError.self) {
            try StaticFileHandler(root: tree.path, index: [name])
        }
    }

    @Test func servesASmallFileFromMemoryWithValidators() throws {
        let served = try get(handler(), "/hello.txt")
        #expect(served.status == .ok)
        #expect(served.text == "hello, world\n")
        #expect(served.partIsFile == [false])
        #expect(served.header("Content-Type") == "text/plain; charset=utf-8")
        #expect(served.header("Last-Modified") == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(served.header("Accept-Ranges") == "bytes")
        #expect(served.header("Cache-Control") == nil)
        let etag = try #require(served.header("ETag"))
        let tag = try #require(EntityTag.parse(etag))
        #expect(!tag.isWeak)
        #expect(tag.opaque.hasSuffix("-2ebc98a1.5-d"))  // mtime 784111777.000000005, 13 bytes
        #expect(try get(handler(), "/hello.txt").header("ETag") == etag)
    }

    @Test func sendsTheConfiguredCacheControl() throws {
        let served = try get(handler(cacheControl: "public, max-age=60"), "/style.css")
        #expect(served.header("Cache-Control") == "public, max-age=60")
        #expect(served.header("Content-Type") == "text/css; charset=utf-8")
    }

    @Test func servesFilesAboveTheMemoryLimitFromTheFile() throws {
        let big = try get(handler(), "/big.bin")
        #expect(big.status == .ok)
        #expect(big.partIsFile == [true])
        #expect(big.body == patternBytes(StaticFileHandler.inMemoryLimit + 1))
        #expect(big.header("Content-Type") == "application/octet-stream")

        let atLimit = try get(handler(), "/limit.bin")
        #expect(atLimit.partIsFile == [false])
        #expect(atLimit.body == patternBytes(StaticFileHandler.inMemoryLimit))
    }

    @Test func servesAnEmptyFileWithAnEmptyBody() throws {
        let served = try get(handler(), "/empty.txt")
        #expect(served.status == .ok)
        #expect(served.body.isEmpty)
        #expect(served.partIsFile.isEmpty)
    }

    @Test(arguments: ["/hello.txt", "/big.bin", "/docs/", "/empty.txt"])
    func headAnswersWithTheHeadersAndSizeOfGet(_ uri: String) throws {
        let handler = try handler(cacheControl: "no-cache")
        let get = try ZeroDTHTTPTests.get(handler, uri)
        let head = try ZeroDTHTTPTests.get(handler, uri, method: .HEAD)
        #expect(head.status == get.status)
        #expect(head.headers == get.headers)
        #expect(head.body == get.body)  // the connection sends neither, but both count the same
        #expect(head.partIsFile == get.partIsFile)
    }

    @Test func headIgnoresRangeAsRFC9110Requires() throws {
        let head = try get(handler(), "/hello.txt", method: .HEAD, headers: [("Range", "bytes=0-1")])
        #expect(head.status == .ok)
        #expect(head.body.count == 13)
    }

    @Test func servesTheIndexOfADirectory() throws {
        let root = try get(handler(), "/")
        #expect(root.status == .ok)
        #expect(root.text == "<h1>root</h1>")
        #expect(root.header("Content-Type") == "text/html; charset=utf-8")
        #expect(try get(handler(), "/docs/").text == "<h1>docs</h1>")
    }

    @Test func triesIndexNamesInOrderSkippingMissingAndNonRegularOnes() throws {
        #expect(try get(handler(index: ["index.htm", "index.html"]), "/both/").text == "htm")
        #expect(try get(handler(index: ["missing.html", "index.html"]), "/both/").text == "html")
        let nested = try get(handler(index: ["index.html", "default.txt"]), "/nested/")
        #expect(nested.text == "fallback index")
        #expect(nested.header("Content-Type") == "text/plain; charset=utf-8")
    }

    @Test func aDirectoryWithoutIndexIsNotFound() throws {
        #expect(try get(handler(), "/bare/").status == .notFound)
        #expect(try get(handler(index: []), "/docs/").status == .notFound)
    }

    @Test func aDirectoryWithoutTrailingSlashRedirectsKeepingTheQuery() throws {
        let plain = try get(handler(), "/docs")
        #expect(plain.status == .movedPermanently)
        #expect(plain.header("Location") == "/docs/")

        let query = try get(handler(), "/docs?lang=en&x=%20")
        #expect(query.header("Location") == "/docs/?lang=en&x=%20")

        // Below a route, the raw target (still percent-encoded) is what the client sent.
        try tree.directory("my dir")
        let encoded = try get(handler(), "/static/my%20dir?a", remainder: "my dir")
        #expect(encoded.header("Location") == "/static/my%20dir/?a")

        // The directory redirect is decided before any index is looked up.
        #expect(try get(handler(), "/bare").status == .movedPermanently)
    }

    @Test func redirectsNeverPointOffSite() throws {
        #expect(try get(handler(), "//docs", remainder: "docs").header("Location") == "/docs/")
        #expect(try get(handler(), "/\\\\docs", remainder: "docs").header("Location") == "/docs/")
        #expect(try get(handler(), "http://example.com/docs?q", remainder: "docs").header("Location") == "/docs/?q")
    }

    @Test func aFileWithTrailingSlashIsNotFound() throws {
        #expect(try get(handler(), "/hello.txt/").status == .notFound)
    }

    @Test func missingNamesAreNotFound() throws {
        #expect(try get(handler(), "/nope.txt").status == .notFound)
        #expect(try get(handler(), "/nope/deeper.txt").status == .notFound)
        #expect(try get(handler(), "/hello.txt/deeper").status == .notFound)
        let tooLong = "/" + String(repeating: "a", count: 300)
        #expect(try get(handler(), tooLong).status == .notFound)
    }

    @Test(.enabled(if: getuid() != 0, "root reads anything"))
    func unreadableFilesAreForbidden() throws {
        let secret = try tree.file("secret.txt", "x")
        chmod(secret, 0)
        try tree.file("locked/inner.txt", "x")
        chmod(tree.path + "/locked", 0)
        let served = try get(handler(), "/secret.txt")
        #expect(served.status == .forbidden)
        #expect(served.header("Content-Type") == "text/plain; charset=utf-8")
        #expect(try get(handler(), "/locked/inner.txt").status == .forbidden)
    }

    @Test func aSmallFileChangedInPlaceIsNeverServedStale() throws {
        let handler = try handler()
        try tree.file("live.txt", "version 1")
        try tree.setModified("live.txt", seconds: 1_000)
        #expect(try get(handler, "/live.txt").text == "version 1")
        #expect(try get(handler, "/live.txt").text == "version 1")
        try tree.overwriteInPlace("live.txt", "version 2")
        try tree.setModified("live.txt", seconds: 1_000)  // same inode, size and mtime; only ctime differs
        #expect(try get(handler, "/live.txt").text == "version 2")
    }
}
