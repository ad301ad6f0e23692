import NIOHPACK
import NIOHTTP1
import NIOHTTP2
import Testing
@testable import ZeroDTHTTP

/// Header blocks become the HTTP/1 heads nio-http2's codec made of them, and response heads
/// HTTP/2 header blocks, with the same checks.
@Suite struct HTTP2MessagesTests {
    private static func request(_ fields: [(String, String)], endStream: Bool = true) throws -> HTTPRequestHead {
        try HTTP2Messages.requestHead(HPACKHeaders(fields), endStream: endStream)
    }

    private static let pseudo = [(":method", "GET"), (":scheme", "https"), (":path", "/a?b"),
                                 (":authority", "example.com")]

    @Test func aRequestHeadTakesItsPseudoHeadersAndGetsHostFromAuthority() throws {
        let head = try Self.request(Self.pseudo + [("accept", "*/*")])
        #expect(head.method == .GET)
        #expect(head.uri == "/a?b")
        #expect(head.version == .http2)
        #expect(head.headers.map { "\($0.name): \($0.value)" } == ["host: example.com", "accept: */*"])
    }

    @Test func aHostOfItsOwnIsKept() throws {
        let head = try Self.request(Self.pseudo + [("host", "other.example")])
        #expect(head.headers["host"] == ["other.example"])
    }

    @Test func aBodyWithoutLengthIsChunkedAndNoBodyIsLengthZero() throws {
        let post = [(":method", "POST")] + Self.pseudo.dropFirst()
        #expect(try Self.request(post, endStream: false).headers["transfer-encoding"] == ["chunked"])
        #expect(try Self.request(post, endStream: true).headers["content-length"] == ["0"])
        let sized = try Self.request(post + [("content-length", "5")], endStream: false)
        #expect(sized.headers["content-length"] == ["5"] && sized.headers["transfer-encoding"].isEmpty)
        let get = try Self.request(Self.pseudo, endStream: false)
        #expect(get.headers["transfer-encoding"].isEmpty && get.headers["content-length"].isEmpty)
    }

    /// §8.3.1: `host` may stand in for `:authority`; with neither, `Host` is empty (a 400).
    @Test func withoutAuthorityHostNamesTheHostAndWithNeitherItIsEmpty() throws {
        let withoutAuthority = Self.pseudo.filter { $0.0 != ":authority" }
        #expect(try Self.request(withoutAuthority + [("host", "h.example")]).headers["host"] == ["h.example"])
        #expect(try Self.request(withoutAuthority).headers["host"] == [""])
    }

    @Test(arguments: [":method", ":scheme", ":path"])
    func aMissingPseudoHeaderIsRefused(_ name: String) {
        #expect(throws: NIOHTTP2Errors.MissingPseudoHeader.self) {
            try Self.request(Self.pseudo.filter { $0.0 != name })
        }
    }

    @Test(arguments: ["ftp", "HTTPS", "ws"])
    func aSchemeOtherThanHTTPOrHTTPSIsRefused(_ scheme: String) {
        #expect(throws: NIOHTTP2Errors.InvalidPseudoHeaderValue.self) {
            try Self.request(Self.pseudo.map { $0.0 == ":scheme" ? ($0.0, scheme) : $0 })
        }
    }

    /// RFC 9113 §8.5: `:authority` is a CONNECT's target, as HTTP/1's authority form is.
    @Test func aConnectTakesItsAuthorityAsItsTarget() throws {
        let head = try Self.request([(":method", "CONNECT"), (":authority", "example.com:443")])
        #expect(head.method == .CONNECT && head.uri == "example.com:443")
        #expect(head.headers["host"] == ["example.com:443"])
        #expect(throws: NIOHTTP2Errors.MissingPseudoHeader.self) {
            try Self.request([(":method", "CONNECT"), (":authority", "example.com:443"), (":path", "/")])
        }
    }

    @Test func aRepeatedPseudoHeaderIsRefused() {
        #expect(throws: NIOHTTP2Errors.DuplicatePseudoHeader.self) {
            try Self.request(Self.pseudo + [(":path", "/b")])
        }
    }

    /// Bytes that would split the request line once the head is HTTP/1 (request smuggling).
    @Test(arguments: ["/a b", "/a\r\nx: y", "/a\u{0}", "/a\u{7F}", "/a\t"])
    func aPseudoHeaderWithASeparatorOrControlByteIsRefused(_ path: String) {
        #expect(throws: NIOHTTP2Errors.InvalidPseudoHeaderValue.self) {
            try Self.request(Self.pseudo.map { $0.0 == ":path" ? (":path", path) : $0 })
        }
    }

    @Test func aResponseBlockStartsWithStatusLowerCasesNamesAndDropsConnectionFields() throws {
        let head = ResponseHeadFields(version: .http2, status: .notFound, headers: [
            "Content-Type": "text/plain", "keep-alive": "timeout=5", "Upgrade": "h2c", "x-id": "7",
            "Transfer-Encoding": "chunked", "Proxy-Connection": "close", "Connection": "close",
        ], date: "Sun, 06 Nov 1994 08:49:37 GMT", server: "zerodt", contentLength: 9)
        let block = try HTTP2Messages.responseBlock(head)
        #expect(block.map { "\($0.name): \($0.value)" } == [
            ":status: 404", "content-type: text/plain", "x-id: 7", "date: Sun, 06 Nov 1994 08:49:37 GMT",
            "server: zerodt", "content-length: 9",
        ])
    }

    /// A handler's header that could split an HTTP/1.1 response is refused on HTTP/2 too.
    @Test func aResponseBlockRefusesAHeaderWithALineBreak() {
        let head = ResponseHeadFields(version: .http2, status: .ok, headers: ["x-id": "7\r\nx-evil: 1"],
                                      date: "Sun, 06 Nov 1994 08:49:37 GMT", server: nil, contentLength: 0)
        #expect(throws: ResponseHead.InvalidHeader.self) { try HTTP2Messages.responseBlock(head) }
    }

    @Test func trailersKeepTheirRegularFields() {
        let trailers = HTTP2Messages.trailers(HPACKHeaders([(":status", "200"), ("grpc-status", "0")]))
        #expect(trailers.map { "\($0.name): \($0.value)" } == ["grpc-status: 0"])
    }
}
