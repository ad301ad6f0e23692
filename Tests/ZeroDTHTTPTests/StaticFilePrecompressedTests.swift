import Foundation
import NIOHTTP1
import Testing

@testable import ZeroDTHTTP

@Suite struct StaticFilePrecompressedTests {
    let tree: TemporaryTree

    init() throws {
        tree = try TemporaryTree()
        try tree.file("app.js", "identity bytes")
        try tree.file("app.js.gz", "gzip bytes")
        try tree.file("app.js.br", "brotli bytes")
        try tree.file("docs/index.html", "<h1>docs</h1>")
        try tree.file("docs/index.html.gz", "gzip index")
        try tree.file("spa.html", "<h1>app</h1>")
        try tree.file("spa.html.zst", "zstd app")
        try tree.file("only.txt.gz", "orphan")
        try tree.directory("dir.txt.gz")
        try tree.file("dir.txt", "plain")
    }

    func handler(_ codings: [ContentCoding] = [.br, .zstd, .gzip]) throws -> StaticFileHandler {
        try StaticFileHandler(root: tree.path, fallback: StaticFallback(path: "spa.html"), precompressed: codings)
    }

    @Test func theSiblingOfThePreferredCodingIsServedWithTheOriginalType() throws {
        let served = try get(handler(), "/app.js", headers: [("Accept-Encoding", "gzip, br")])
        #expect(served.text == "brotli bytes")
        #expect(served.header("Content-Encoding") == "br")
        #expect(served.header("Content-Type") == "text/javascript; charset=utf-8")
        #expect(served.header("Vary") == "Accept-Encoding")
        #expect(served.header("ETag")?.hasSuffix("-br\"") == true)
        let gzip = try get(handler(), "/app.js", headers: [("Accept-Encoding", "gzip, br;q=0.5")])
        #expect(gzip.text == "gzip bytes")
        #expect(gzip.header("Content-Encoding") == "gzip")
    }

    @Test func aMissingSiblingFallsBackToTheNextCodingThenIdentity() throws {
        #expect(try get(handler(), "/app.js", headers: [("Accept-Encoding", "zstd, gzip;q=0.5")]).text == "gzip bytes")
        let identity = try get(handler(), "/app.js", headers: [("Accept-Encoding", "zstd")])
        #expect(identity.text == "identity bytes")
        #expect(identity.header("Content-Encoding") == nil)
        #expect(identity.header("Vary") == "Accept-Encoding", "the response varies even when not encoded")
        #expect(try get(handler(), "/dir.txt", headers: [("Accept-Encoding", "gzip")]).text == "plain",
                "a directory is not a sibling")
    }

    @Test func withoutAcceptEncodingOrWithoutTheOptionTheFileItselfIsServed() throws {
        #expect(try get(handler(), "/app.js").text == "identity bytes")
        let off = try get(handler([]), "/app.js", headers: [("Accept-Encoding", "gzip")])
        #expect(off.text == "identity bytes")
        #expect(off.header("Vary") == nil)
        #expect(try get(handler([.gzip]), "/app.js", headers: [("Accept-Encoding", "br")]).text == "identity bytes")
    }

    @Test func aSiblingWithoutItsOriginalIsNotServed() throws {
        #expect(try get(handler(), "/only.txt", headers: [("Accept-Encoding", "gzip")]).status == .notFound)
    }

    @Test func eachEncodingHasItsOwnTagAnd304() throws {
        let gzip = try get(handler(), "/app.js", headers: [("Accept-Encoding", "gzip")])
        let identity = try get(handler(), "/app.js")
        let gzipTag = try #require(gzip.header("ETag"))
        let identityTag = try #require(identity.header("ETag"))
        #expect(gzipTag != identityTag)
        let revalidated = try get(handler(), "/app.js", headers: [("Accept-Encoding", "gzip"), ("If-None-Match", gzipTag)])
        #expect(revalidated.status == .notModified)
        #expect(revalidated.header("ETag") == gzipTag)
        #expect(revalidated.header("Vary") == "Accept-Encoding")
        let otherCoding = try get(handler(), "/app.js", headers: [("Accept-Encoding", "br"), ("If-None-Match", gzipTag)])
        #expect(otherCoding.status == .ok)
        #expect(otherCoding.text == "brotli bytes")
    }

    @Test func rangesApplyToTheCompressedBytes() throws {
        let served = try get(handler(), "/app.js", headers: [("Accept-Encoding", "gzip"), ("Range", "bytes=0-3")])
        #expect(served.status == .partialContent)
        #expect(served.text == "gzip")
        #expect(served.header("Content-Range") == "bytes 0-3/10")
        #expect(served.header("Content-Encoding") == "gzip")
        let several = try get(handler(), "/app.js", headers: [("Accept-Encoding", "gzip"), ("Range", "bytes=0-1,4-5")])
        #expect(several.status == .ok, "several ranges of an encoded file get the whole of it")
        #expect(several.text == "gzip bytes")
    }

    @Test func indexAndFallbackFilesHaveSiblingsToo() throws {
        #expect(try get(handler(), "/docs/", headers: [("Accept-Encoding", "gzip")]).text == "gzip index")
        let fallback = try get(handler(), "/users/42", headers: [("Accept-Encoding", "zstd")])
        #expect(fallback.text == "zstd app")
        #expect(fallback.header("Content-Type") == "text/html; charset=utf-8")
    }

    @Test func aSiblingSymlinkObeysThePolicy() throws {
        let outside = try TemporaryTree()
        try outside.file("secret.gz", "secret")
        try tree.file("page.html", "page")
        try tree.symlink("page.html.gz", to: outside.path + "/secret.gz")
        let served = try get(handler(), "/page.html", headers: [("Accept-Encoding", "gzip")])
        #expect(served.text == "page", "the link is refused like any other, and identity is served")
    }
}
