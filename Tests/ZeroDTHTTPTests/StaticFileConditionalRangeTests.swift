import Foundation
import NIOHTTP1
import Testing

@testable import ZeroDTHTTP

@Suite struct StaticFileConditionalRangeTests {
    let tree: TemporaryTree
    let handler: StaticFileHandler
    let small = patternBytes(1000)
    let large = patternBytes(200_000)
    let lastModified = "Sun, 06 Nov 1994 08:49:37 GMT"

    init() throws {
        tree = try TemporaryTree()
        try tree.file("small.txt", small)
        try tree.file("large.mp4", large)
        try tree.setModified("small.txt", seconds: 784_111_777)
        try tree.setModified("large.mp4", seconds: 784_111_777)
        handler = try StaticFileHandler(root: tree.path, cacheControl: "max-age=60")
    }

    func etag(_ uri: String) throws -> String {
        try #require(get(handler, uri).header("ETag"))
    }

    // MARK: conditional requests

    @Test(arguments: ["/small.txt", "/large.mp4"])
    func ifNoneMatchWithTheCurrentTagIsNotModified(_ uri: String) throws {
        let tag = try etag(uri)
        for value in [tag, "W/" + tag, "\"other\", " + tag, "*"] {
            let served = try get(handler, uri, headers: [("If-None-Match", value)])
            #expect(served.status == .notModified, "\(value)")
            #expect(served.body.isEmpty)
            #expect(served.partIsFile.isEmpty)
            #expect(served.header("ETag") == tag)
            #expect(served.header("Last-Modified") == lastModified)
            #expect(served.header("Cache-Control") == "max-age=60")
            #expect(served.header("Content-Type") == nil)
        }
        #expect(try get(handler, uri, method: .HEAD, headers: [("If-None-Match", tag)]).status == .notModified)
        #expect(try get(handler, uri, headers: [("If-None-Match", "\"other\"")]).status == .ok)
    }

    /// The fields are found whatever the case of their names: the handler looks them up only
    /// after a pass that finds a name starting with `i` or `r`.
    @Test func preconditionAndRangeFieldsCountInAnyCase() throws {
        let tag = try etag("/small.txt")
        #expect(try get(handler, "/small.txt", headers: [("IF-NONE-MATCH", tag)]).status == .notModified)
        #expect(try get(handler, "/small.txt", headers: [("iF-mAtCh", "\"other\"")]).status == .preconditionFailed)
        #expect(try get(handler, "/small.txt", headers: [("if-unmodified-since", "Thu, 01 Jan 1970 00:00:00 GMT")])
            .status == .preconditionFailed)
        #expect(try get(handler, "/small.txt", headers: [("range", "bytes=0-1")]).status == .partialContent)
        #expect(try get(handler, "/small.txt", headers: [("Accept", "*/*"), ("RANGE", "bytes=0-1")]).status
            == .partialContent)
        for name in ["If-Match", "if-none-match", "IF-MODIFIED-SINCE", "If-Unmodified-Since", "If-Range", "range"] {
            #expect(StaticFileHandler.mayHoldPreconditionOrRange(HTTPHeaders([("Host", "a"), (name, "x")])), "\(name)")
        }
        // A browser's file requests carry `Referer`, and often fields that start as these do.
        let plain = HTTPHeaders([("Host", "a"), ("Accept", "*/*"), ("User-Agent", "curl"), ("Accept-Encoding", "gzip"),
                                 ("Referer", "http://a/"), ("If-Match-Not", "x"), ("Ranges", "x"), ("I", "x")])
        #expect(!StaticFileHandler.mayHoldPreconditionOrRange(plain))
    }

    @Test func ifModifiedSinceCountsOnlyWithoutIfNoneMatch() throws {
        let later = "Sun, 06 Nov 1994 08:49:38 GMT"
        let earlier = "Sun, 06 Nov 1994 08:49:36 GMT"
        #expect(try get(handler, "/small.txt", headers: [("If-Modified-Since", lastModified)]).status == .notModified)
        #expect(try get(handler, "/small.txt", headers: [("If-Modified-Since", later)]).status == .notModified)
        #expect(try get(handler, "/small.txt", headers: [("If-Modified-Since", earlier)]).status == .ok)
        #expect(try get(handler, "/small.txt", headers: [("If-Modified-Since", "garbage")]).status == .ok)
        let both = [("If-None-Match", "\"other\""), ("If-Modified-Since", later)]
        #expect(try get(handler, "/small.txt", headers: both).status == .ok)
    }

    @Test func failedIfMatchOrIfUnmodifiedSinceIsPreconditionFailed() throws {
        let tag = try etag("/small.txt")
        #expect(try get(handler, "/small.txt", headers: [("If-Match", tag)]).status == .ok)
        #expect(try get(handler, "/small.txt", headers: [("If-Match", "*")]).status == .ok)
        #expect(try get(handler, "/small.txt", headers: [("If-Match", "W/" + tag)]).status == .preconditionFailed)
        let failed = try get(handler, "/large.mp4", headers: [("If-Match", "\"other\"")])
        #expect(failed.status == .preconditionFailed)
        #expect(failed.partIsFile.allSatisfy { !$0 })
        let earlier = "Sat, 05 Nov 1994 00:00:00 GMT"
        #expect(try get(handler, "/small.txt", headers: [("If-Unmodified-Since", earlier)]).status == .preconditionFailed)
        #expect(try get(handler, "/small.txt", headers: [("If-Unmodified-Since", lastModified)]).status == .ok)
        let ordered = [("If-Match", "\"other\""), ("If-None-Match", tag)]
        #expect(try get(handler, "/small.txt", headers: ordered).status == .preconditionFailed)
    }

    @Test func aChangedFileGetsANewTag() throws {
        let before = try etag("/small.txt")
        try tree.setModified("small.txt", seconds: 784_111_777, nanoseconds: 1)
        #expect(try etag("/small.txt") != before)
    }

    // MARK: ranges

    @Test(arguments: ["/small.txt", "/large.mp4"])
    func aSingleRangeIsPartialContent(_ uri: String) throws {
        let content = uri == "/small.txt" ? small : large
        let size = content.count
        let cases: [(String, Range<Int>)] = [
            ("bytes=0-99", 0..<100), ("bytes=100-", 100..<size), ("bytes=-50", (size - 50)..<size),
            ("bytes=10-999999999", 10..<size), ("bytes=0-0", 0..<1), ("bytes=-999999", 0..<size),
            ("bytes=0-9,5-19", 0..<20),
        ]
        for (value, range) in cases {
            let served = try get(handler, uri, headers: [("Range", value)])
            #expect(served.status == .partialContent, "\(value)")
            #expect(served.header("Content-Range") == "bytes \(range.lowerBound)-\(range.upperBound - 1)/\(size)")
            #expect(served.body == Array(content[range]), "\(value)")
            #expect(served.header("Accept-Ranges") == "bytes")
            #expect(served.header("ETag") != nil)
            #expect(served.header("Last-Modified") == lastModified)
            #expect(served.header("Content-Type") == MIMETypes.contentType(forFileName: uri[...]))
        }
    }

    @Test(arguments: ["/small.txt", "/large.mp4"])
    func unsatisfiableRangesAre416WithTheSize(_ uri: String) throws {
        let size = uri == "/small.txt" ? small.count : large.count
        for value in ["bytes=\(size)-", "bytes=\(size + 5)-\(size + 10)", "bytes=-0"] {
            let served = try get(handler, uri, headers: [("Range", value)])
            #expect(served.status == .rangeNotSatisfiable, "\(value)")
            #expect(served.header("Content-Range") == "bytes */\(size)")
            #expect(served.partIsFile.allSatisfy { !$0 })
        }
    }

    @Test func anEmptyFileSatisfiesNoRange() throws {
        try tree.file("empty", "")
        let served = try get(handler, "/empty", headers: [("Range", "bytes=0-")])
        #expect(served.status == .rangeNotSatisfiable)
        #expect(served.header("Content-Range") == "bytes */0")
    }

    @Test func invalidForeignOrOverlongRangesAreIgnored() throws {
        let seventeen = "bytes=" + (0..<17).map { "\($0 * 10)-\($0 * 10 + 1)" }.joined(separator: ",")
        for value in ["bytes=5-1", "bytes=x-", "items=0-1", "bytes 0-1", seventeen] {
            let served = try get(handler, "/small.txt", headers: [("Range", value)])
            #expect(served.status == .ok, "\(value)")
            #expect(served.body == small)
            #expect(served.header("Content-Range") == nil)
        }
        let sixteen = "bytes=" + (0..<16).map { "\($0 * 10)-\($0 * 10 + 1)" }.joined(separator: ",")
        #expect(try get(handler, "/small.txt", headers: [("Range", sixteen)]).status == .partialContent)
    }

    @Test func ifRangeAppliesTheRangeOnlyToTheSameRepresentation() throws {
        let tag = try etag("/small.txt")
        func status(_ ifRange: String) throws -> HTTPResponseStatus {
            try get(handler, "/small.txt", headers: [("Range", "bytes=0-9"), ("If-Range", ifRange)]).status
        }
        #expect(try status(tag) == .partialContent)
        #expect(try status(lastModified) == .partialContent)
        #expect(try status("W/" + tag) == .ok)
        #expect(try status("\"other\"") == .ok)
        #expect(try status("Sun, 06 Nov 1994 08:49:38 GMT") == .ok)
        #expect(try status("nonsense") == .ok)
        #expect(try get(handler, "/small.txt", headers: [("Range", "bytes=0-9"), ("If-Range", "\"other\"")]).body == small)
    }

    @Test(arguments: ["/small.txt", "/large.mp4"])
    func multipleRangesAreMultipartByteranges(_ uri: String) throws {
        let content = uri == "/small.txt" ? small : large
        let size = content.count
        let served = try get(handler, uri, headers: [("Range", "bytes=500-599, 0-9,-5 ,5-12")])
        #expect(served.status == .partialContent)
        #expect(served.header("Content-Range") == nil)
        let contentType = try #require(served.header("Content-Type"))
        let prefix = "multipart/byteranges; boundary="
        #expect(contentType.hasPrefix(prefix))
        let boundary = String(contentType.dropFirst(prefix.count))
        #expect(!boundary.isEmpty)

        let partType = MIMETypes.contentType(forFileName: uri[...])
        let expected: [Range<Int>] = [0..<13, 500..<600, (size - 5)..<size]
        var body: [UInt8] = []
        for (index, range) in expected.enumerated() {
            body += Array("\(index == 0 ? "" : "\r\n")--\(boundary)\r\n".utf8)
            body += Array("Content-Type: \(partType)\r\n".utf8)
            body += Array("Content-Range: bytes \(range.lowerBound)-\(range.upperBound - 1)/\(size)\r\n\r\n".utf8)
            body += content[range]
        }
        body += Array("\r\n--\(boundary)--\r\n".utf8)
        #expect(served.body == body)

        if uri == "/large.mp4" {
            #expect(served.partIsFile == [false, true, false, true, false, true, false])
            #expect(served.handleCount == 1)
        } else {
            #expect(served.partIsFile == [false])
        }
    }

    @Test func eachMultipartResponseHasItsOwnBoundary() throws {
        let headers = [("Range", "bytes=0-1,5-6")]
        let first = try get(handler, "/small.txt", headers: headers).header("Content-Type")
        let second = try get(handler, "/small.txt", headers: headers).header("Content-Type")
        #expect(first != second)
    }
}
