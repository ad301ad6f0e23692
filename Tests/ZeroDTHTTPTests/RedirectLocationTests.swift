import NIOEmbedded
import NIOHTTP1
import Testing
@testable import ZeroDTHTTP

/// Every redirect stays on this host when its `Location` is a path.
@Suite struct RedirectLocationTests {
    @Test(arguments: [
        ("/\\evil.example/x", "/evil.example/x"), ("//evil.example/x", "/evil.example/x"),
        ("/\t/evil.example", "/evil.example"), ("/a//b", "/a//b"), ("https://new.example/", "https://new.example/"),
    ])
    func pathsAreFoldedAbsoluteURLsKept(_ location: String, _ expected: String) {
        #expect(RedirectLocation.guarded(location) == expected)
    }

    @Test func aRedirectRouteCannotBeTurnedIntoAnotherHost() throws {
        let handler = RedirectHandler(to: "/", status: 302)
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/legacy/\\evil.example/x")
        let request = HTTPRequest(head: head, path: "/legacy/\\evil.example/x", query: nil,
                                  routeRemainder: "\\evil.example/x")
        let context = HTTPRequestContext(eventLoop: EmbeddedEventLoop(), serverName: "test", remoteAddress: nil)
        guard case .response(let response) = handler.respond(to: request, context: context) else {
            Issue.record("expected an immediate response")
            return
        }
        #expect(response.headers["Location"] == ["/evil.example/x"])
    }
}
