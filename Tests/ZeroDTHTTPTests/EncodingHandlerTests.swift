import CompressNIO
import Dispatch
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing

@testable import ZeroDTHTTP

/// Serialized: two tests count on the process-wide number of compressions off the loop.
@Suite(.serialized) struct EncodingHandlerTests {
    let tree: TemporaryTree
    /// Below `EncodingHandler.offloadSize`, so that it is compressed at once on the
    /// embedded loop; `hugeText` is above it.
    let text = String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 2000)
    let hugeText = String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 4000)

    init() throws {
        tree = try TemporaryTree()
        try tree.file("big.txt", text)
        try tree.file("small.txt", "tiny")
        try tree.file("huge.txt", hugeText)
        try tree.file("photo.png", text)
    }

    func handler(minimumSize: Int = EncodingSettings.defaultMinimumSize) throws -> EncodingHandler {
        EncodingHandler(try StaticFileHandler(root: tree.path), settings: EncodingSettings(codings: [.gzip],
                                                                                           minimumSize: minimumSize))
    }

    func gunzip(_ bytes: [UInt8]) throws -> String {
        var buffer = ByteBuffer(bytes: bytes)
        return String(buffer: try buffer.decompress(with: .gzip))
    }

    @Test func aLargeFileIsCompressedAndDecompressesToItself() throws {
        let served = try get(handler(), "/big.txt", headers: [("Accept-Encoding", "gzip")])
        #expect(served.status == .ok)
        #expect(served.header("Content-Encoding") == "gzip")
        #expect(served.header("Vary") == "Accept-Encoding")
        #expect(served.header("Accept-Ranges") == nil)
        #expect(served.header("ETag")?.hasPrefix("W/") == true)
        #expect(served.header("ETag")?.hasSuffix("-gzip\"") == true)
        #expect(served.body.count < text.utf8.count / 10)
        #expect(try gunzip(served.body) == text)
    }

    @Test func aBodyAboveTheOffloadSizeIsCompressedOffTheEventLoop() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let loop = group.next()
        let context = HTTPRequestContext(eventLoop: loop, serverName: "test", remoteAddress: nil)
        let request = makeRequest("/huge.txt", headers: [("Accept-Encoding", "gzip")])
        let reply = try loop.submit { try handler().respond(to: request, context: context) }.wait()
        guard case .deferred(let future) = reply else {
            Issue.record("a body of \(hugeText.utf8.count) bytes was compressed on the event loop")
            return
        }
        let response = try future.wait()
        #expect(response.headers.first(name: "Content-Encoding") == "gzip")
        #expect(response.fileHandles.isEmpty, "the file was read and closed")
        guard case .bytes(let body) = try #require(response.body.first) else {
            Issue.record("expected the compressed bytes")
            return
        }
        #expect(try gunzip(Array(body.readableBytesView)) == hugeText)
        #expect(EncodingHandler.offloadSize < hugeText.utf8.count && text.utf8.count < EncodingHandler.offloadSize)
    }

    @Test func beyondTheOffloadBoundALargeBodyGoesOutUnencoded() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let loop = group.next()
        let pool = NIOThreadPool.singleton
        // Every pool thread waits, so that the compressions handed to the pool stay queued.
        let release = DispatchSemaphore(value: 0)
        let blockers = (0..<pool.numberOfThreads).map { _ in pool.runIfActive(eventLoop: loop) { release.wait() } }
        let context = HTTPRequestContext(eventLoop: loop, serverName: "test", remoteAddress: nil)
        let request = makeRequest("/huge.txt", headers: [("Accept-Encoding", "gzip")])
        let handler = try handler()
        let replies = try (0...EncodingHandler.maximumOffloaded).map { _ in
            try loop.submit { handler.respond(to: request, context: context) }.wait()
        }
        for _ in blockers { release.signal() }
        var deferred: [EventLoopFuture<HTTPResponse>] = []
        for reply in replies.dropLast() {
            guard case .deferred(let future) = reply else {
                Issue.record("a compression within the bound was not handed to the pool")
                continue
            }
            deferred.append(future)
        }
        guard case .response(let beyond) = replies.last else {
            Issue.record("a compression beyond the bound was queued")
            return
        }
        #expect(beyond.headers.first(name: "Content-Encoding") == nil)
        #expect(beyond.headers.first(name: "Vary") == "Accept-Encoding")
        for handle in beyond.fileHandles { try handle.close() }
        for future in deferred { #expect(try future.wait().headers.first(name: "Content-Encoding") == "gzip") }
        for blocker in blockers { try blocker.wait() }
    }

    @Test func headGetsTheHeadersOfGet() throws {
        let head = try serve(handler(), makeRequest("/big.txt", method: .HEAD, headers: [("Accept-Encoding", "gzip")]))
        let get = try get(handler(), "/big.txt", headers: [("Accept-Encoding", "gzip")])
        #expect(head.header("Content-Encoding") == "gzip")
        #expect(head.body.count == get.body.count, "the connection sends this count as Content-Length")
    }

    @Test func whatMustNotBeCompressedPassesThrough() throws {
        let small = try get(handler(), "/small.txt", headers: [("Accept-Encoding", "gzip")])
        #expect(small.header("Content-Encoding") == nil)
        #expect(small.header("Vary") == "Accept-Encoding", "a larger body of the type would have been encoded")
        let image = try get(handler(), "/photo.png", headers: [("Accept-Encoding", "gzip")])
        #expect(image.header("Content-Encoding") == nil)
        #expect(image.header("Vary") == nil, "no body of the type is ever encoded")
        let unasked = try get(handler(), "/big.txt")
        #expect(unasked.header("Content-Encoding") == nil)
        #expect(unasked.header("Vary") == "Accept-Encoding")
        #expect(unasked.text == text)
        let refused = try get(handler(), "/big.txt", headers: [("Accept-Encoding", "gzip;q=0, br")])
        #expect(refused.header("Content-Encoding") == nil)
    }

    @Test func aRangeRequestGetsUnencodedRanges() throws {
        let served = try get(handler(), "/big.txt", headers: [("Accept-Encoding", "gzip"), ("Range", "bytes=4-8")])
        #expect(served.status == .partialContent)
        #expect(served.text == "quick")
        #expect(served.header("Content-Encoding") == nil)
        #expect(served.header("Vary") == "Accept-Encoding")
    }

    @Test func noTransformAndExistingCodingsAreRespected() throws {
        let body = String(repeating: "x", count: 2000)
        for headers: HTTPHeaders in [["Cache-Control": "public, No-Transform"], ["Content-Encoding": "br"]] {
            let inner = FixedResponseHandler(status: 200, body: body, contentType: "text/plain",
                                             headers: headers.map { ($0.name, $0.value) })
            let served = try get(EncodingHandler(inner, settings: EncodingSettings(codings: [.gzip])), "/",
                                 headers: [("Accept-Encoding", "gzip")])
            #expect(served.text == body)
            #expect(served.header("Content-Encoding") != "gzip")
        }
    }

    @Test func theEncodedTagRevalidatesWith304() throws {
        let tag = try #require(try get(handler(), "/big.txt", headers: [("Accept-Encoding", "gzip")]).header("ETag"))
        let revalidated = try get(handler(), "/big.txt", headers: [("Accept-Encoding", "gzip"), ("If-None-Match", tag)])
        #expect(revalidated.status == .notModified)
        #expect(revalidated.header("ETag") == tag)
        #expect(revalidated.header("Vary") == "Accept-Encoding")
    }

    @Test func aPrecompressedSiblingIsNotEncodedAgainAndVaryIsSentOnce() throws {
        try tree.file("big.txt.gz", "pretend gzip")
        let handler = EncodingHandler(try StaticFileHandler(root: tree.path, precompressed: [.gzip]),
                                      settings: EncodingSettings(codings: [.gzip]))
        let sibling = try get(handler, "/big.txt", headers: [("Accept-Encoding", "gzip")])
        #expect(sibling.text == "pretend gzip")
        #expect(sibling.headers["Vary"] == ["Accept-Encoding"])
        let identity = try get(handler, "/big.txt")
        #expect(identity.text == text)
        #expect(identity.headers["Vary"] == ["Accept-Encoding"])
        let siblingTag = try #require(sibling.header("ETag"))
        let revalidated = try get(handler, "/big.txt", headers: [("Accept-Encoding", "gzip"),
                                                                 ("If-None-Match", siblingTag)])
        #expect(revalidated.status == .notModified, "the sibling's own tag still validates it")
        #expect(revalidated.header("ETag") == siblingTag)
    }

    @Test func theStreamMatchesOneShotCompressionAcrossPieces() throws {
        var stream = try GzipStream(level: 1, expectedInput: 0)
        var pieces: [UInt8] = []
        for index in 0..<200 {
            let piece = Array("piece \(index) ".utf8) + patternBytes(997)
            pieces += piece
            try stream.compress(ByteBuffer(bytes: piece))
        }
        var output = try stream.finish()
        let decompressed = try output.decompress(with: .gzip)
        #expect(Array(decompressed.readableBytesView) == pieces)
    }

    @Test func compressibleTypes() {
        for type in ["text/html; charset=utf-8", "application/json", "image/svg+xml", "Application/LD+JSON",
                     "application/wasm", "text/javascript"] {
            #expect(EncodingHandler.isCompressible(type), "\(type)")
        }
        for type in ["image/png", "application/octet-stream", "font/woff2", "application/gzip", nil] {
            #expect(!EncodingHandler.isCompressible(type), "\(type ?? "none")")
        }
    }
}
