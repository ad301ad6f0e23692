import CompressNIO
import Foundation
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import ZeroDTHTTP

@Suite struct EncodingHandlerTests {
    let tree: TemporaryTree
    /// Below `EncodingHandler.oneShotSize`, so that it is compressed at once; `hugeText` is
    /// above it, so that it is streamed.
    let text = String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 2000)
    let hugeText = String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 4000)

    init() throws {
        tree = try TemporaryTree()
        try tree.file("big.txt", text)
        try tree.file("small.txt", "tiny")
        try tree.file("huge.txt", hugeText)
        try tree.file("photo.png", text)
    }

    func handler(minimumSize: Int = EncodingSettings.defaultMinimumSize,
                 level: Int = EncodingSettings.defaultLevel) throws -> EncodingHandler {
        EncodingHandler(try StaticFileHandler(root: tree.path),
                        settings: EncodingSettings(codings: [.gzip], minimumSize: minimumSize, level: level))
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

    @Test func aBodyAboveTheOneShotSizeIsStreamedAPieceAtATime() throws {
        let response = try respond(handler(), "/huge.txt", headers: [("Accept-Encoding", "gzip")])
        #expect(response.headers.first(name: "Content-Encoding") == "gzip")
        #expect(response.headers.first(name: "ETag")?.hasSuffix("-gzip\"") == true)
        #expect(response.body.isEmpty, "no body of known length")
        let stream = try #require(response.stream)
        let handles = try #require(stream as? CompressingBodyStream).fileHandles
        var pieces = 0
        var compressed: [UInt8] = []
        while let piece = try stream.next() {
            pieces += 1
            compressed += piece.readableBytesView
        }
        #expect(try stream.next() == nil)
        stream.close()
        let sliceSize = CompressingBodyStream.sliceSize(level: EncodingSettings.defaultLevel)
        #expect(pieces == (hugeText.utf8.count + sliceSize - 1) / sliceSize + 1, "a piece per slice, and the end")
        #expect(try gunzip(compressed) == hugeText)
        #expect(!handles.isEmpty && handles.allSatisfy { !$0.isOpen }, "the file is closed with the stream")
        let oneShotSize = EncodingHandler.oneShotSize(level: EncodingSettings.defaultLevel)
        #expect(oneShotSize < hugeText.utf8.count && text.utf8.count < oneShotSize)
    }

    /// A body compressed at once holds the event loop for all of it, so the one-shot limit
    /// shrinks with the level as the streamed slices do: at level 9 a 90 KB text (at once
    /// at level 1) is streamed.
    @Test(arguments: EncodingSettings.levels)
    func theOneShotLimitFollowsTheLevelsSliceSize(level: Int) throws {
        let oneShotSize = EncodingHandler.oneShotSize(level: level)
        #expect(oneShotSize == 2 * CompressingBodyStream.sliceSize(level: level))
        let response = try respond(handler(level: level), "/big.txt", headers: [("Accept-Encoding", "gzip")])
        defer { response.stream?.close() }
        #expect(response.headers.first(name: "Content-Encoding") == "gzip")
        #expect((response.stream != nil) == (text.utf8.count > oneShotSize), "level \(level)")
        #expect((response.stream != nil) == (level > 3), "level \(level)")
    }

    @Test func aStreamClosedEarlyReleasesItsFile() throws {
        let stream = try #require(try respond(handler(), "/huge.txt", headers: [("Accept-Encoding", "gzip")]).stream)
        let handles = try #require(stream as? CompressingBodyStream).fileHandles
        _ = try stream.next()
        stream.close()
        #expect(!handles.isEmpty && handles.allSatisfy { !$0.isOpen })
    }

    @Test func aFileCutShortFailsTheStream() throws {
        let stream = try #require(try respond(handler(), "/huge.txt", headers: [("Accept-Encoding", "gzip")]).stream)
        defer { stream.close() }
        #expect(truncate(tree.path + "/huge.txt", 1000) == 0)
        _ = try stream.next()
        #expect(throws: IOError.self) { try stream.next() }
    }

    @Test func headGetsTheStreamedHeadersWithoutACompression() throws {
        for path in ["/big.txt", "/huge.txt"] {
            let head = try respond(handler(), path, method: .HEAD, headers: [("Accept-Encoding", "gzip")])
            #expect(head.headers.first(name: "Content-Encoding") == "gzip")
            #expect(head.headers.first(name: "Vary") == "Accept-Encoding")
            #expect(head.body.isEmpty && head.stream != nil, "no Content-Length to compute")
            head.stream?.close()
        }
    }

    /// The handler's response as it is, its body not read.
    func respond(_ handler: EncodingHandler, _ uri: String, method: HTTPMethod = .GET,
                 headers: [(String, String)]) throws -> HTTPResponse {
        let context = HTTPRequestContext(eventLoop: EmbeddedEventLoop(), serverName: "test", remoteAddress: nil)
        guard case .response(let response) = handler.respond(to: makeRequest(uri, method: method, headers: headers),
                                                             context: context)
        else { throw POSIXError(.EINVAL) }
        return response
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
