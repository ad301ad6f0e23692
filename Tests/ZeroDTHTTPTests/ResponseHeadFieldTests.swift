import NIOCore
import NIOHTTP1
import Testing
@testable import ZeroDTHTTP

/// The per-field walk HTTP/1.1 and HTTP/2 writers share: which headers go out, in what order
/// and with what names.
@Suite struct ResponseHeadFieldTests {
    @Test func connectionManagedNamesAreRecognisedInAnyCaseAndOnlyThem() {
        for name in ["Content-Length", "CONNECTION", "transfer-encoding", "Transfer-Encoding"] {
            #expect(ResponseHead.isConnectionManaged(name), "\(name)")
        }
        for name in ["Content-Type", "connections", "Connectio", "content_length", "", "Keep-Alive"] {
            #expect(!ResponseHead.isConnectionManaged(name), "\(name)")
        }
    }

    @Test func theWalkDropsManagedHeadersAndAddsDateServerAndLength() throws {
        let headers = HTTPHeaders([("Content-Type", "text/plain"), ("Connection", "keep-alive"),
                                   ("content-length", "99"), ("X-A", "1")])
        var fields: [String] = []
        try ResponseHead.forEachField(headers: headers, date: "D", server: "S", contentLength: 3, lowercase: true) {
            fields.append("\($0)=\($1)")
        }
        #expect(fields == ["Content-Type=text/plain", "X-A=1", "date=D", "server=S", "content-length=3"])
        fields = []
        try ResponseHead.forEachField(headers: [:], date: "D", server: nil, contentLength: nil) { name, _ in fields.append(name) }
        #expect(fields == ["Date"])
        #expect(throws: ResponseHead.InvalidHeader.self) {
            try ResponseHead.forEachField(headers: HTTPHeaders([("X-B", "a\r\nb")]), date: "D", server: nil,
                                          contentLength: nil) { _, _ in }
        }
    }

    func serialized(_ status: HTTPResponseStatus, version: HTTPVersion = .http1_1, headers: HTTPHeaders = [:],
                    rendered: ByteBuffer? = nil, contentLength: Int? = nil) throws -> String {
        let buffer = try ResponseHead.serialize(
            version: version, status: status, headers: headers, renderedHeaders: rendered, date: "D", server: nil,
            contentLength: contentLength, connection: nil, extraCapacity: 0, allocator: ByteBufferAllocator())
        return String(buffer: buffer)
    }

    @Test func theStatusLineHasTheVersionTheCodeAndTheReason() throws {
        #expect(try serialized(.ok) == "HTTP/1.1 200 OK\r\nDate: D\r\n\r\n")
        #expect(try serialized(.notFound, version: .http1_0).hasPrefix("HTTP/1.0 404 Not Found\r\n"))
        #expect(try serialized(.continue).hasPrefix("HTTP/1.1 100 Continue\r\n"))
        #expect(try serialized(.custom(code: 599, reasonPhrase: "")).hasPrefix("HTTP/1.1 599 \r\n"))
        #expect(try serialized(.custom(code: 999, reasonPhrase: "Odd")).hasPrefix("HTTP/1.1 999 Odd\r\n"))
        #expect(try serialized(.custom(code: 1000, reasonPhrase: "Big")).hasPrefix("HTTP/1.1 1000 Big\r\n"))
        #expect(try serialized(.custom(code: 42, reasonPhrase: "Small")).hasPrefix("HTTP/1.1 42 Small\r\n"))
    }

    /// A head from headers rendered ahead is byte for byte the one written field by field.
    @Test func renderedHeadersGoOutAsTheFieldsWouldHave() throws {
        let headers = HTTPHeaders([("ETag", "\"1-2-3\""), ("Content-Type", "text/html; charset=utf-8"),
                                   ("Content-Length", "7"), ("X-Empty", "")])
        let fieldByField = try serialized(.ok, headers: headers, contentLength: 12_345)
        #expect(fieldByField == "HTTP/1.1 200 OK\r\nETag: \"1-2-3\"\r\nContent-Type: text/html; charset=utf-8\r\n"
            + "X-Empty: \r\nDate: D\r\nContent-Length: 12345\r\n\r\n")
        let rendered = try ResponseHead.render(headers)
        #expect(try serialized(.ok, headers: headers, rendered: rendered, contentLength: 12_345) == fieldByField)
    }

    /// `Content-Length` digits are written in place: every width up to `Int.max`, and zero.
    @Test func contentLengthsOfEveryWidthAreWrittenInDecimal() throws {
        for length in [0, 7, 10, 99, 100, 13_579, 1 << 40, Int.max] {
            #expect(try serialized(.ok, contentLength: length) == "HTTP/1.1 200 OK\r\nDate: D\r\nContent-Length: \(length)\r\n\r\n")
        }
    }

    /// What follows the handler's fields, all present, in order, with fields rendered ahead
    /// and without.
    @Test func theConnectionFieldsFollowInOrder() throws {
        let headers = HTTPHeaders([("X-A", "1")])
        let expected = "HTTP/1.0 201 Created\r\nX-A: 1\r\nDate: Tue, 01 Dec 2026 03:00:00 GMT\r\nServer: zerodt/1\r\n"
            + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n"
        for rendered in [nil, try ResponseHead.render(headers)] {
            let buffer = try ResponseHead.serialize(
                version: .http1_0, status: .created, headers: headers, renderedHeaders: rendered,
                date: "Tue, 01 Dec 2026 03:00:00 GMT", server: "zerodt/1", contentLength: 5, chunked: true,
                connection: "keep-alive", extraCapacity: 0, allocator: ByteBufferAllocator())
            #expect(String(buffer: buffer) == expected)
        }
    }
}
