import NIOHTTP1
import TestSupport
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

    /// The lookup indexes subtrees by pattern; this checks it against the rule it implements
    /// (an exact pattern, else the redirect to a subtree, else the longest subtree prefix) on
    /// random tables and paths from a small alphabet, so that prefixes collide often.
    @Test func agreesWithTheLongestPrefixRuleOnRandomTables() {
        var random = SplitMix64(seed: 0x5EED_0F_20)
        let segments = ["a", "b", "ab", "a.b", ""]
        func randomPath() -> String {
            "/" + (0..<Int.random(in: 0...3, using: &random)).map { _ in segments.randomElement(using: &random)! }
                .joined(separator: "/") + (Bool.random(using: &random) ? "/" : "")
        }
        for _ in 0..<300 {
            let patterns = (0..<Int.random(in: 1...8, using: &random)).map { _ in randomPath() }
            let table = RoutingTable(routes: patterns.map { .init(path: $0, handler: Named(name: $0)) })
            for _ in 0..<20 {
                let path = randomPath()
                let subtrees = patterns.filter { $0.hasSuffix("/") }
                let expected: String
                if patterns.contains(path) {
                    expected = "\(path):"
                } else if !path.hasSuffix("/"), subtrees.contains(path + "/") {
                    expected = "redirect"
                } else if let longest = subtrees.filter({ path.hasPrefix($0) }).max(by: { $0.count < $1.count }) {
                    expected = "\(longest):\(path.dropFirst(longest.count))"
                } else {
                    expected = "404"
                }
                let actual: String
                switch table.match(path) {
                case .route(let route, let remainder): actual = "\((route.handler as! Named).name):\(remainder)"
                case .redirectToSubtree: actual = "redirect"
                case .notFound: actual = "404"
                }
                #expect(actual == expected, "routes \(patterns), path \(path)")
            }
        }
    }

    /// A route's fields are shared by its copies; setting one changes that copy alone, and
    /// a new handler is looked at again for an immediate answer.
    @Test func settingAFieldChangesOnlyThatCopy() {
        let original = RoutingTable.Route(path: "/a", handler: Named(name: "a"))
        var copy = original
        copy.path = "/b"
        copy.handler = FixedResponseHandler(status: 200, body: "b", contentType: "text/plain")
        copy.amendment = nil
        #expect(original.path == "/a" && (original.handler as? Named)?.name == "a" && original.immediate == nil)
        #expect(copy.path == "/b" && copy.immediate != nil && copy.metrics == nil)
        copy.handler = Named(name: "c")
        #expect(copy.immediate == nil && copy.path == "/b")
    }
}

