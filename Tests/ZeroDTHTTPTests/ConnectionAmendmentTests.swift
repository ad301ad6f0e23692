import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing
@testable import ZeroDTHTTP

/// `headers:` and `error_pages:` applied where the connection writes a response head: to
/// handlers' answers, the method check's 405, a failed handler's 500, the answers no route
/// gives, and the errors the connection finds itself (400, 413, 431).
@Suite struct ConnectionAmendmentTests {
    static let serverRules = ResponseHeaderRules(set: [.init(name: "X-Frame-Options", value: "DENY")])
    static let routeRules = ResponseHeaderRules(set: [.init(name: "Cache-Control", value: "no-store")])
    static let pages = ErrorPages(exact: [404: ResponseAmendmentTests.page("missing")],
                                  classes: [4: ResponseAmendmentTests.page("client"), 5: ResponseAmendmentTests.page("server")])

    private let loop = EmbeddedEventLoop()
    private let channel: EmbeddedChannel
    private let accessLog = NIOLockedValueBox<[AccessLogEntry]>([])

    init() throws {
        var configuration = HTTPServerConfiguration()
        configuration.maxHeaderSize = 1024
        configuration.maxBodySize = 16
        channel = EmbeddedChannel(loop: loop)
        let server = ResponseAmendment(headers: Self.serverRules, errorPages: Self.pages)
        let route = ResponseAmendment(headers: Self.routeRules.merged(over: Self.serverRules), errorPages: Self.pages)
        let routes = RoutingTable(routes: [
            .init(path: "/get-only", handler: FixedMethodsHandler(), amendment: route),
            .init(path: "/fails", handler: FailingHandler(), amendment: route),
            .init(path: "/docs/", handler: FixedMethodsHandler(), amendment: route),
            .init(path: "/plain", handler: FixedMethodsHandler()),
            // Rendered ahead: a route's rules must still reach it, and pages alone leave it be.
            .init(path: "/fixed", handler: FixedResponseHandler(status: 200, body: "fixed", contentType: "text/plain"),
                  amendment: route),
            .init(path: "/paged", handler: FixedResponseHandler(status: 200, body: "paged", contentType: "text/plain"),
                  amendment: ResponseAmendment(errorPages: Self.pages)),
        ], unrouted: server)
        let monitor = RequestLineMonitor()
        let accessLog = accessLog
        try channel.pipeline.syncOperations.addHandlers([
            monitor,
            RequestLineMonitor.decoder(maxHeaderSize: configuration.maxHeaderSize),
            HTTPConnectionHandler(configuration: configuration, routes: routes, serverName: "test", monitor: monitor,
                                  accessLog: { entry in accessLog.withLockedValue { $0.append(entry) } },
                                  logger: Logger(label: "test")),
        ])
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 8080)).wait()
    }

    /// Sends `request` and returns the response's head lines and body.
    private func exchange(_ request: String) throws -> (head: [String], body: String) {
        try channel.writeInbound(ByteBuffer(string: request))
        loop.run()
        var text = ""
        while let data = try channel.readOutbound(as: IOData.self) {
            if case .byteBuffer(let buffer) = data { text += String(buffer: buffer) }
        }
        let parts = text.components(separatedBy: "\r\n\r\n")
        return (parts[0].components(separatedBy: "\r\n"), parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    @Test func aRoutesMethodCheckAndFailureAreAmendedWithTheRoutesHeaders() throws {
        let refused = try exchange("DELETE /get-only HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(refused.head[0] == "HTTP/1.1 405 Method Not Allowed")
        #expect(refused.head.contains("Allow: GET, HEAD"))
        #expect(refused.head.contains("Cache-Control: no-store"))
        #expect(refused.head.contains("X-Frame-Options: DENY"))
        #expect(refused.body == "client")
        let failed = try exchange("GET /fails HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(failed.head[0] == "HTTP/1.1 500 Internal Server Error")
        #expect(failed.head.contains("Cache-Control: no-store"))
        #expect(failed.body == "server")
        let ok = try exchange("GET /get-only HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(ok.body == "ok")
        #expect(ok.head.contains("Cache-Control: no-store"))
    }

    @Test func aResponseRenderedAheadGetsItsRoutesHeadersAndOnlyThose() throws {
        let fixed = try exchange("GET /fixed HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(fixed.head[0] == "HTTP/1.1 200 OK")
        #expect(fixed.head.contains("Cache-Control: no-store"))
        #expect(fixed.head.contains("X-Frame-Options: DENY"))
        #expect(fixed.body == "fixed")
        let paged = try exchange("GET /paged HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(paged.head[0] == "HTTP/1.1 200 OK")
        #expect(paged.head.contains("Content-Type: text/plain"))
        #expect(!paged.head.contains { $0.hasPrefix("Cache-Control") || $0.hasPrefix("X-Frame-Options") })
        #expect(paged.body == "paged")
    }

    @Test func unroutedAnswersGetTheServersAmendmentAndAreLoggedWithoutARoute() throws {
        let missing = try exchange("GET /nothing HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(missing.head[0] == "HTTP/1.1 404 Not Found")
        #expect(missing.head.contains("X-Frame-Options: DENY"))
        #expect(!missing.head.contains("Cache-Control: no-store"), "no route's headers")
        #expect(missing.body == "missing")
        let redirect = try exchange("GET /docs?a=1 HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(redirect.head[0] == "HTTP/1.1 301 Moved Permanently")
        #expect(redirect.head.contains("Location: /docs/?a=1"))
        #expect(redirect.head.contains("X-Frame-Options: DENY"))
        let routes = accessLog.withLockedValue { $0.map(\.route) }
        #expect(routes == [nil, nil], "no made-up catch-all route in the log")
    }

    @Test func aRouteWithoutSettingsIsNotAmended() throws {
        let plain = try exchange("DELETE /plain HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(plain.head[0] == "HTTP/1.1 405 Method Not Allowed")
        #expect(!plain.head.contains("X-Frame-Options: DENY"))
        #expect(plain.body != "client")
    }

    @Test func aBodyTooLargeIs413WithTheServersPageAndHeaders() throws {
        let response = try exchange("POST /get-only HTTP/1.1\r\nHost: t\r\nContent-Length: 17\r\n\r\n")
        #expect(response.head[0] == "HTTP/1.1 413 Payload Too Large")
        #expect(response.head.contains("X-Frame-Options: DENY"))
        #expect(response.body == "client")
    }

    @Test func headersTooLargeAre431WithTheServersPageAndHeaders() throws {
        let response = try exchange("GET / HTTP/1.1\r\nHost: t\r\nX-Big: \(String(repeating: "a", count: 2048))\r\n\r\n")
        #expect(response.head[0] == "HTTP/1.1 431 Request Header Fields Too Large")
        #expect(response.head.contains("X-Frame-Options: DENY"))
        #expect(response.body == "client")
        #expect(accessLog.withLockedValue { $0.map(\.status) } == [431])
    }

    @Test func aMalformedRequestIs400WithTheServersPageAndHeaders() throws {
        let response = try exchange("GET / HTTP/1.1\r\nHost: t\r\nBad Header: x\r\n\r\n")
        #expect(response.head[0] == "HTTP/1.1 400 Bad Request")
        #expect(response.head.contains("X-Frame-Options: DENY"))
        #expect(response.body == "client")
    }
}

/// Answers `ok` to GET and HEAD.
private struct FixedMethodsHandler: HTTPHandler {
    var allowedMethods: [HTTPMethod]? { [.GET, .HEAD] }

    func respond(to request: HTTPRequest, context: HTTPRequestContext) -> HTTPReply {
        .response(HTTPResponse(status: .ok, text: "ok"))
    }
}

/// Fails its deferred reply.
private struct FailingHandler: HTTPHandler {
    var allowedMethods: [HTTPMethod]? { nil }

    func respond(to request: HTTPRequest, context: HTTPRequestContext) -> HTTPReply {
        .deferred(context.eventLoop.makeFailedFuture(CancellationError()))
    }
}
