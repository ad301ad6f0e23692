import Foundation
import NIOCore
import NIOHTTP1
import Testing

@testable import ZeroDTHTTP

/// The header blocks a cached file renders once: each response that uses one must carry
/// exactly its own headers, checked, or none at all.
@Suite struct StaticFileRenderedHeadersTests {
    let tree: TemporaryTree

    init() throws {
        tree = try TemporaryTree()
        try tree.file("page.html", "<p>page</p>")
        try tree.file("page.html.gz", [0x1F, 0x8B, 0x08, 0x00])
    }

    /// `served` carries a rendered block, and it is its headers as the per-field path writes them.
    func expectRenderedMatches(_ served: Served, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let rendered = try #require(served.renderedHeaders, sourceLocation: sourceLocation)
        #expect(rendered == (try ResponseHead.render(served.headers)), sourceLocation: sourceLocation)
    }

    @Test(arguments: [nil, "gzip"] as [String?])
    func whole200And304CarryTheirOwnHeadersRendered(_ acceptEncoding: String?) throws {
        let handler = try StaticFileHandler(root: tree.path, cacheControl: "public, max-age=60",
                                            precompressed: [.gzip])
        let headers = acceptEncoding.map { [("Accept-Encoding", $0)] } ?? []
        // The first request fills the entry, the second is answered from it.
        for _ in 1...2 {
            let whole = try get(handler, "/page.html", headers: headers)
            #expect(whole.status == .ok)
            try expectRenderedMatches(whole)
            #expect(whole.header("Content-Encoding") == acceptEncoding)
            let tag = try #require(whole.header("ETag"))
            let notModified = try get(handler, "/page.html", headers: headers + [("If-None-Match", tag)])
            #expect(notModified.status == .notModified)
            try expectRenderedMatches(notModified)
            #expect(notModified.header("Content-Type") == nil)
        }
    }

    /// A file rewritten in place (same size, new time) is answered with blocks of its new
    /// self on the very next request: validators and body agree.
    @Test func aFileChangedOnDiskGetsBlocksOfItsNewSelf() throws {
        let handler = try StaticFileHandler(root: tree.path)
        let before = try get(handler, "/page.html")
        let path = try tree.file("page.html", "<p>PAGE</p>")
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: 120)], ofItemAtPath: path)
        let after = try get(handler, "/page.html")
        #expect(after.text == "<p>PAGE</p>")
        try expectRenderedMatches(after)
        #expect(after.header("ETag") != before.header("ETag"))
        #expect(after.header("Last-Modified") != before.header("Last-Modified"))
        let tag = try #require(after.header("ETag"))
        let notModified = try get(handler, "/page.html", headers: [("If-None-Match", tag)])
        #expect(notModified.status == .notModified)
        try expectRenderedMatches(notModified)
    }

    /// A value that must not reach the wire is not rendered: the response then goes through
    /// the per-field check on its way out, which refuses it (a 500, as for any handler).
    @Test func aHeaderThatFailsTheCheckIsNotRendered() throws {
        let handler = try StaticFileHandler(root: tree.path, cacheControl: "no-cache\r\nSet-Cookie: a=b")
        let served = try get(handler, "/page.html")
        #expect(served.renderedHeaders == nil)
        #expect(throws: ResponseHead.InvalidHeader.self) { try ResponseHead.render(served.headers) }
    }

    /// A range, which adds fields per request, is written field by field.
    @Test func aPartialResponseIsNotAnsweredWithTheWholeBlock() throws {
        let handler = try StaticFileHandler(root: tree.path)
        let served = try get(handler, "/page.html", headers: [("Range", "bytes=0-1")])
        #expect(served.status == .partialContent)
        #expect(served.renderedHeaders == nil)
    }
}
