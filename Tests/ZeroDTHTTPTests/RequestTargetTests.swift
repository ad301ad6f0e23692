import Testing
@testable import ZeroDTHTTP

@Suite struct RequestTargetTests {
    @Test(arguments: [
        ("/", "/", nil),
        ("/a/b?x=1&y", "/a/b", "x=1&y"),
        ("/a%20b", "/a b", nil),
        ("/a/./b/../c", "/a/c", nil),
        ("/../../etc/passwd", "/etc/passwd", nil),
        ("/%2e%2e/%2e%2e/etc/passwd", "/etc/passwd", nil),
        ("/a/%2e%2e%2fsecret", "/secret", nil),
        ("/dir/", "/dir/", nil),
        ("/dir/..", "/", nil),
        ("/dir/sub/..", "/dir/", nil),
        ("//a//b", "/a/b", nil),
        ("/a\\..\\b", "/a\\..\\b", nil),
        ("/%252e%252e/x", "/%2e%2e/x", nil),
        ("http://example.com/x?q", "/x", "q"),
        ("http://example.com", "/", nil),
        ("/page#frag", "/page", nil),
        ("/caf%C3%A9", "/café", nil),
    ] as [(String, String, String?)])
    func decodesAndNormalizes(uri: String, path: String, query: String?) throws {
        let target = try #require(RequestTarget(uri: uri))
        #expect(target.path == path)
        #expect(target.query == query)
    }

    @Test(arguments: ["*", "a/b", "/a%00b", "/a%zz", "/a%2", "/a%", "/%C3%28", "/\u{0}"])
    func rejectsMalformedTargets(uri: String) {
        #expect(RequestTarget(uri: uri) == nil)
    }
}
