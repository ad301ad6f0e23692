import NIOEmbedded
import NIOHTTP1
import Testing
@testable import ZeroDTHTTP

/// `redirect: {scheme: https}`: same host, path and query under another scheme, the host
/// being the one routing read (``RequestHost``, whose tests show what it refuses).
@Suite struct SchemeRedirectHandlerTests {
    private func location(uri: String, host: String?, port: Int? = nil, path: String = "/", query: String? = nil)
        -> (status: UInt, location: String?)? {
        let handler = SchemeRedirectHandler(scheme: "https", port: port, status: 301)
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: uri)
        if let host { head.headers.add(name: "Host", value: host) }
        guard case .name(let name) = RequestHost.lookup(uri: uri, host: host) else { return (400, nil) }
        let request = HTTPRequest(head: head, path: path, query: query, host: name)
        let context = HTTPRequestContext(eventLoop: EmbeddedEventLoop(), serverName: "test", remoteAddress: nil)
        guard case .response(let response) = handler.respond(to: request, context: context) else { return nil }
        return (response.status.code, response.headers.first(name: "Location"))
    }

    @Test func keepsHostPathAndQueryAndDropsThePlainPort() {
        let answer = location(uri: "/a%20b/c?x=1&y=2", host: "Example.COM:8080", path: "/a b/c", query: "x=1&y=2")
        #expect(answer?.status == 301)
        #expect(answer?.location == "https://example.com/a%20b/c?x=1&y=2")
    }

    @Test func putsTheConfiguredPort() {
        #expect(location(uri: "/", host: "example.com", port: 8443)?.location == "https://example.com:8443/")
        #expect(location(uri: "/x", host: "[::1]:80", port: 8443, path: "/x")?.location == "https://[::1]:8443/x")
    }

    @Test func absoluteFormUsesTheRoutedPathAndHostNotTheHostHeader() {
        let answer = location(uri: "http://example.com/a b?q", host: "evil.example", path: "/a b", query: "q")
        #expect(answer?.location == "https://example.com/a%20b?q")
    }

    @Test func whatTheClientSentIsEncodedNotCopied() {
        let answer = location(uri: "/a\"<x>?q=\"<1>%20", host: "example.com", path: "/a\"<x>", query: "q=\"<1>%20")
        #expect(answer?.location == "https://example.com/a%22%3Cx%3E?q=%22%3C1%3E%20")
    }

    @Test func aRequestThatNamesNoHostGets400() {
        let handler = SchemeRedirectHandler(scheme: "https", port: nil, status: 301)
        let request = HTTPRequest(head: HTTPRequestHead(version: .http1_0, method: .GET, uri: "/"), path: "/", query: nil)
        let context = HTTPRequestContext(eventLoop: EmbeddedEventLoop(), serverName: "test", remoteAddress: nil)
        guard case .response(let response) = handler.respond(to: request, context: context) else {
            Issue.record("no response")
            return
        }
        #expect(response.status == .badRequest)
        #expect(response.headers.first(name: "Location") == nil)
    }
}
