import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import ZeroDTHTTP

@Suite struct ResponseAmendmentTests {
    static let server = ResponseHeaderRules(set: [.init(name: "X-Frame-Options", value: "DENY"),
                                                  .init(name: "Cache-Control", value: "no-cache")],
                                            remove: ["X-Powered-By"])
    static let pages = ErrorPages(exact: [404: page("missing")], classes: [4: page("client"), 5: page("server")])

    static func page(_ text: String) -> ErrorPages.Page {
        ErrorPages.Page(body: ByteBuffer(string: text), contentType: "text/html; charset=utf-8")
    }

    @Test func setReplacesEveryFieldOfTheNameAndRemoveDropsIt() {
        var headers: HTTPHeaders = ["cache-control": "a", "Cache-Control": "b", "x-powered-by": "php", "Keep": "1"]
        Self.server.apply(to: &headers)
        #expect(headers["Cache-Control"] == ["no-cache"])
        #expect(headers["X-Frame-Options"] == ["DENY"])
        #expect(!headers.contains(name: "X-Powered-By"))
        #expect(headers["Keep"] == ["1"])
    }

    @Test func aRouteOverridesItsServerNameByName() {
        let route = ResponseHeaderRules(set: [.init(name: "cache-control", value: "no-store")], remove: ["x-frame-options"])
        let merged = route.merged(over: Self.server)
        #expect(merged.setting == [.init(name: "cache-control", value: "no-store")])
        #expect(merged.removing == ["x-powered-by", "x-frame-options"])
        let added = ResponseHeaderRules(set: [.init(name: "X-Powered-By", value: "zerodt")]).merged(over: Self.server)
        #expect(added.removing.isEmpty, "a route that sets a header the server removes keeps it")
        #expect(added.setting.map(\.name) == ["X-Frame-Options", "Cache-Control", "X-Powered-By"])
    }

    /// A block rendered ahead (a cached file's, a fixed response's) stands as long as nothing
    /// changes its headers: error pages alone leave a 200 as it is; header rules re-render it.
    @Test func onlyHeaderRulesDropARenderedBlock() throws {
        let headers: HTTPHeaders = ["Content-Type": "text/plain"]
        let rendered = try ResponseHead.render(headers)
        var served = HTTPResponse(status: .ok, headers: headers, rendered: rendered)
        ResponseAmendment(errorPages: Self.pages).apply(to: &served)
        #expect(served.renderedHeaders == rendered)
        ResponseAmendment(headers: Self.server).apply(to: &served)
        #expect(served.renderedHeaders == nil)
        #expect(served.headers["X-Frame-Options"] == ["DENY"])
    }

    @Test func anExactCodeWinsOverItsClass() {
        #expect(Self.pages.page(for: .notFound)?.body == ByteBuffer(string: "missing"))
        #expect(Self.pages.page(for: .gone)?.body == ByteBuffer(string: "client"))
        #expect(Self.pages.page(for: .badGateway)?.body == ByteBuffer(string: "server"))
        #expect(ErrorPages(exact: [404: Self.page("x")]).page(for: .gone) == nil)
    }

    @Test func errorPagesReplaceOnlyZeroDTsOwnErrorBodies() throws {
        let amendment = ResponseAmendment(headers: Self.server, errorPages: Self.pages)
        var plain = HTTPResponse.error(.methodNotAllowed, headers: ["Allow": "GET"])
        amendment.apply(to: &plain)
        #expect(plain.status == .methodNotAllowed)
        #expect(plain.headers["Allow"] == ["GET"])
        #expect(plain.headers["Content-Type"] == ["text/html; charset=utf-8"])
        #expect(plain.body.count == 1 && plain.bodyCount == "client".utf8.count)
        #expect(plain.headers["X-Frame-Options"] == ["DENY"])

        var own = HTTPResponse(status: .notFound, headers: ["Content-Type": "application/json"], text: "{}")
        amendment.apply(to: &own)
        #expect(own.headers["Content-Type"] == ["application/json"])
        #expect(own.bodyCount == 2)
        #expect(own.headers["X-Frame-Options"] == ["DENY"], "headers apply to every response")
    }
}
