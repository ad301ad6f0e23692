import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing
@testable import ZeroDTHTTP

/// A fixed response's message is written once and reused only while everything the
/// connection adds to it is the same.
@Suite struct FixedMessageTests {
    @Test func aMessageIsReusedOnlyForTheFieldsItWasWrittenWith() {
        let fixed = FixedMessage(for: HTTPResponse(status: .ok))
        func message(date: String = "D", server: String? = "S", connection: String? = nil, minor: Int = 1,
                     body: Bool = true) -> ByteBuffer? {
            fixed.message(date: date, server: server, connection: connection, minorVersion: minor, carriesBody: body)
        }
        #expect(message() == nil)
        fixed.store(ByteBuffer(string: "m"), date: "D", server: "S", connection: nil, minorVersion: 1, carriesBody: true)
        #expect(message() == ByteBuffer(string: "m"))
        #expect(message(date: "E") == nil)
        #expect(message(server: nil) == nil)
        #expect(message(server: "T") == nil)
        #expect(message(connection: "close") == nil)
        #expect(message(minor: 0) == nil)
        #expect(message(body: false) == nil)
    }

    @Test func anyChangeToTheResponseDropsIt() throws {
        let handler = FixedResponseHandler(status: 200, body: "fixed", contentType: "text/plain")
        let response = handler.immediateResponse(to: HTTPRequest(head: HTTPRequestHead(version: .http1_1, method: .GET,
                                                                                        uri: "/"), path: "/", query: nil),
                                                  context: HTTPRequestContext(eventLoop: EmbeddedEventLoop(),
                                                                              serverName: "s", remoteAddress: nil))
        #expect(response.fixedMessage != nil)
        var changed = response
        changed.headers.add(name: "X-A", value: "1")
        #expect(changed.fixedMessage == nil)
        changed = response
        changed.status = .notFound
        #expect(changed.fixedMessage == nil)
        changed = response
        changed.body = []
        #expect(changed.fixedMessage == nil)
        // A header that cannot go on the wire is reported per response, never kept.
        #expect(FixedResponseHandler(status: 200, body: "", contentType: "text/plain", headers: [("X", "a\nb")])
            .immediateResponse(to: HTTPRequest(head: HTTPRequestHead(version: .http1_1, method: .GET, uri: "/"),
                                               path: "/", query: nil),
                               context: HTTPRequestContext(eventLoop: EmbeddedEventLoop(), serverName: "s",
                                                           remoteAddress: nil)).fixedMessage == nil)
    }

    /// A connection answering every request with `handler`'s fixed response, and a function
    /// that sends it a request and returns what it wrote, its `Date` as `*`.
    private static func connection(answering handler: FixedResponseHandler,
                                   accessLog: NIOLockedValueBox<[AccessLogEntry]> = NIOLockedValueBox([]))
        throws -> (String) throws -> String {
        let channel = EmbeddedChannel()
        try channel.addConnectionHandlers(configuration: HTTPServerConfiguration(), handler: handler,
                                          accessLog: accessLog, logger: Logger(label: "test"))
        return { request in
            try channel.writeInbound(ByteBuffer(string: request))
            channel.embeddedEventLoop.run()
            var text = ""
            while let data = try channel.readOutbound(as: IOData.self) {
                if case .byteBuffer(let buffer) = data { text += String(buffer: buffer) }
            }
            // The date is the clock's: compared as a shape, not a value.
            return text.replacingOccurrences(of: #"Date: [^\r]*\r\n"#, with: "Date: *\r\n", options: .regularExpression)
        }
    }

    /// On one connection, answers that differ in what the connection adds each get their own
    /// head, in whatever order they come, the reused ones included.
    @Test func eachRequestGetsTheHeadItsConnectionCallsFor() throws {
        let exchange = try Self.connection(answering: FixedResponseHandler(status: 200, body: "fixed",
                                                                           contentType: "text/plain"))
        let get = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nDate: *\r\nServer: zerodt\r\nContent-Length: 5\r\n\r\nfixed"
        let head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nDate: *\r\nServer: zerodt\r\nContent-Length: 5\r\n\r\n"
        let old = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nDate: *\r\nServer: zerodt\r\nContent-Length: 5\r\n"
            + "Connection: keep-alive\r\n\r\nfixed"
        #expect(try exchange("GET / HTTP/1.1\r\nHost: a\r\n\r\n") == get)
        #expect(try exchange("GET / HTTP/1.1\r\nHost: a\r\n\r\n") == get)
        #expect(try exchange("HEAD / HTTP/1.1\r\nHost: a\r\n\r\n") == head)
        #expect(try exchange("GET / HTTP/1.1\r\nHost: a\r\n\r\n") == get)
        #expect(try exchange("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n") == old)
        #expect(try exchange("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            == get.replacingOccurrences(of: "Content-Length: 5\r\n", with: "Content-Length: 5\r\nConnection: close\r\n"))
    }

    /// A body too large to share the head's buffer follows the kept head every time, a HEAD
    /// gets the head alone, a 204 never a body, and the access log counts what each answer sent.
    @Test func aKeptMessageGoesOutOnlyAsTheWholeAnswer() throws {
        let body = String(repeating: "x", count: HTTPResponse.inlineBodyLimit + 1)
        let log = NIOLockedValueBox<[AccessLogEntry]>([])
        let exchange = try Self.connection(answering: FixedResponseHandler(status: 200, body: body,
                                                                           contentType: "text/plain"), accessLog: log)
        let head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nDate: *\r\nServer: zerodt\r\n"
            + "Content-Length: \(body.utf8.count)\r\n\r\n"
        for method in ["GET", "GET", "HEAD", "HEAD", "GET"] {
            #expect(try exchange("\(method) / HTTP/1.1\r\nHost: a\r\n\r\n") == head + (method == "GET" ? body : ""))
        }
        #expect(log.withLockedValue { $0.map(\.bytes) } == [body.utf8.count, body.utf8.count, 0, 0, body.utf8.count])

        let noContent = try Self.connection(answering: FixedResponseHandler(status: 204, body: "",
                                                                            contentType: "text/plain"))
        for _ in 1...2 {
            #expect(try noContent("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
                == "HTTP/1.1 204 No Content\r\nDate: *\r\nServer: zerodt\r\n\r\n")
        }
    }
}
