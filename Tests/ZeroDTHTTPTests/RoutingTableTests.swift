import NIOHTTP1
import Testing
@testable import ZeroDTHTTP

@Suite struct RoutingTableTests {
    private struct Named: HTTPHandler {
        let name: String
        var allowedMethods: [HTTPMethod]? { nil }
        func respond(to request: HTTPRequest, context: HTTPRequestContext) -> HTTPReply {
            .response(HTTPResponse(status: .ok, text: name))
        }
    }

    private let table = RoutingTable(routes: [
        .init(path: "/", handler: Named(name: "root")),
        .init(path: "/api/", handler: Named(name: "api")),
        .init(path: "/api/v2/", handler: Named(name: "v2")),
        .init(path: "/api/status", handler: Named(name: "status")),
        .init(path: "/docs/", handler: Named(name: "docs")),
    ])

    private func resolve(_ path: String) -> String {
        switch table.match(path) {
        case .route(let route, let remainder): return "\((route.handler as! Named).name):\(remainder)"
        case .redirectToSubtree: return "redirect"
        case .notFound: return "404"
        }
    }

    @Test func longestMatchWins() {
        #expect(resolve("/") == "root:")
        #expect(resolve("/x/y") == "root:x/y")
        #expect(resolve("/api/") == "api:")
        #expect(resolve("/api/users/1") == "api:users/1")
        #expect(resolve("/api/v2/things") == "v2:things")
        #expect(resolve("/api/status") == "status:")
        #expect(resolve("/api/status/x") == "api:status/x")
    }

    @Test func subtreeWithoutSlashRedirects() {
        #expect(resolve("/docs") == "redirect")
        #expect(resolve("/api/v2") == "redirect")
    }

    @Test func nothingMatchesWithoutRoot() {
        let table = RoutingTable(routes: [.init(path: "/only", handler: Named(name: "only"))])
        guard case .notFound = table.match("/other") else {
            Issue.record("expected 404")
            return
        }
        guard case .route = table.match("/only") else {
            Issue.record("expected a route")
            return
        }
    }
}
