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
}
