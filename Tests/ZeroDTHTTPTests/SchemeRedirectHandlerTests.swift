import NIOEmbedded
import NIOHTTP1
import Testing
@testable import ZeroDTHTTP

/// `redirect: {scheme: https}`: same host, path and query under another scheme, and never a
/// `Location` built from a `Host` header that is not a plain host.
@Suite struct SchemeRedirectHandlerTests {
    private func location(uri: String, host: String?, port: Int? = nil, path: String = "/", query: String? = nil)
        -> (status: UInt, location: String?)? {
        let handler = SchemeRedirectHandler(scheme: "https", port: port, status: 301)
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: uri)
        if let host { head.headers.add(name: "Host", value: host) }
        let request = HTTPRequest(head: head, path: path, query: query)
        let context = HTTPRequestContext(eventLoop: EmbeddedEventLoop(), serverName: "test", remoteAddress: nil)
        guard case .response(let response) = handler.respond(to: request, context: context) else { return nil }
        return (response.status.code, response.headers.first(name: "Location"))
    }

    @Test func keepsHostPathAndQueryAndDropsThePlainPort() {
        let answer = location(uri: "/a%20b/c?x=1&y=2", host: "Example.COM:8080", path: "/a b/c", query: "x=1&y=2")
        #expect(answer?.status == 301)
        #expect(answer?.location == "https://Example.COM/a%20b/c?x=1&y=2")
    }

    @Test func putsTheConfiguredPort() {
        #expect(location(uri: "/", host: "example.com", port: 8443)?.location == "https://example.com:8443/")
        #expect(location(uri: "/x", host: "[::1]:80", port: 8443, path: "/x")?.location == "https://[::1]:8443/x")
    }

    @Test func absoluteFormUsesTheRoutedPath() {
        let answer = location(uri: "http://example.com/a b?q", host: "example.com", path: "/a b", query: "q")
        #expect(answer?.location == "https://example.com/a%20b?q")
    }

    @Test func whatTheClientSentIsEncodedNotCopied() {
        let answer = location(uri: "/a\"<x>?q=\"<1>%20", host: "example.com", path: "/a\"<x>", query: "q=\"<1>%20")
        #expect(answer?.location == "https://example.com/a%22%3Cx%3E?q=%22%3C1%3E%20")
    }

    @Test(arguments: [nil, "", "evil.example/x", "a@b", "host:", "host:123456", "[zz]", "[::1", "a b", "ex\u{e4}mple",
                      "..", "-", "a..b", "-a.example", "[:]", "[...]", ".example"])
    func aHostThatIsNotPlainGets400(_ host: String?) {
        let answer = location(uri: "/", host: host)
        #expect(answer?.status == 400)
        #expect(answer?.location == nil)
    }
}
