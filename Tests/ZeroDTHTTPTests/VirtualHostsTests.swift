import Foundation
import NIOHTTP1
import Testing
import TestSupport
@testable import ZeroDTHTTP

/// Which server of a shared listener a request goes to.
@Suite struct VirtualHostsTests {
    static func server(_ name: String, _ hosts: [String]) throws -> VirtualServer {
        VirtualServer(name: name, hosts: try hosts.map { try HostPattern(parsing: $0) }, routes: RoutingTable(routes: []))
    }

    static let servers: [VirtualServer] = try! [
        server("apex", ["example.com"]),
        server("any", ["*.example.com"]),
        server("api", ["*.api.example.com", "api.example.com"]),
        server("fallback", []),
    ]

    static func name(_ choice: VirtualHosts.Choice) -> String {
        switch choice {
        case .server(let server): return server.name
        case .noServer: return "404"
        case .misdirected: return "421"
        }
    }

    static func head(_ uri: String = "/", host: String?) -> HTTPRequestHead {
        HTTPRequestHead(version: .http1_1, method: .GET, uri: uri, headers: host.map { ["Host": $0] } ?? [:])
    }

    @Test(arguments: [
        ("example.com", "apex"), ("EXAMPLE.com:8080", "apex"), ("example.com.", "apex"), ("Example.Com.:80", "apex"),
        ("www.example.com", "any"), ("a.b.example.com", "any"), ("api.example.com", "api"),
        ("v1.api.example.com", "api"), ("x.v1.api.example.com", "api"), ("other.test", "fallback"),
        ("127.0.0.1:80", "fallback"), ("[::1]:80", "fallback"), ("notexample.com", "fallback"),
    ])
    func exactNamesBeatWildcardsAndLongerSuffixesShorterOnes(_ host: String, _ expected: String) {
        let hosts = VirtualHosts(Self.servers)
        #expect(Self.name(hosts.choose(host: RequestHost.name(ofAuthority: Substring(host)), serverName: nil)) == expected)
    }

    @Test func anAbsoluteFormTargetsAuthorityWinsOverHost() {
        #expect(RequestHost.lookup(uri: "http://API.example.com:81/x?y", host: "example.com") == .name("api.example.com"))
        #expect(RequestHost.lookup(uri: "https://www.example.com.", host: "example.com") == .name("www.example.com"))
        #expect(RequestHost.lookup(uri: "/x", host: "[::1]:8080") == .name("[::1]"))
        #expect(RequestHost.lookup(uri: "/x", host: nil) == .none)
        #expect(RequestHost.lookup(uri: "http://a.test/", host: nil) == .name("a.test"))
    }

    /// RFC 9112 §3.2: an invalid `Host` (or target authority) is a 400, never a route; RFC
    /// 3986's `host [ ":" port ]`, ASCII only.
    @Test(arguments: ["", " ", ":443", "@", "evil@a.example.com", ".", "a.example.com:abc", "a.example.com:80:90", "a.test:65536", "a.test:9999999999",
                      "a b.test", "a/b.test", "a#b.test", "a\\b.test", "a%2fb.test", "\u{212A}.test", "b\u{fc}cher.de",
                      "[::1", "[zz]", "[:]", "[::1]x", String(repeating: "a", count: 256)])
    func anInvalidHostIsRefused(_ host: String) {
        #expect(RequestHost.name(ofAuthority: Substring(host)) == nil)
        #expect(RequestHost.lookup(uri: "/", host: host) == .invalid)
        // Even where an absolute-form target's authority makes it ignored.
        #expect(RequestHost.lookup(uri: "http://a.test/", host: host) == .invalid)
        if !host.contains(where: { $0 == "/" || $0 == "#" }) {
            #expect(RequestHost.lookup(uri: "http://\(host)/", host: "a.test") == .invalid)
        }
    }

    @Test func anEmptyAbsoluteFormAuthorityIsRefused() {
        #expect(RequestHost.lookup(uri: "http:///", host: "a.test") == .invalid)
        #expect(RequestHost.lookup(uri: "http://user@a.test/", host: "a.test") == .invalid)
    }

    @Test func theOptionalWhitespaceAroundTheValueIsNotPartOfIt() {
        #expect(RequestHost.name(ofAuthority: " a.test \t") == "a.test")
        #expect(RequestHost.name(ofAuthority: "A.Test:8080\t") == "a.test")
        #expect(RequestHost.name(ofAuthority: "[::FFFF:127.0.0.1]:1") == "[::ffff:127.0.0.1]")
        #expect(RequestHost.name(ofAuthority: "a.test:") == "a.test", "RFC 3986: port = *DIGIT")
        #expect(RequestHost.name(ofAuthority: "a.test:000080") == "a.test", "leading zeros: still port 80")
        #expect(RequestHost.name(ofAuthority: "a.test:0000000000065535") == "a.test")
        #expect(RequestHost.name(ofAuthority: "a.test:0000000000065536") == nil)
        #expect(RequestHost.name(ofAuthority: Substring(String(repeating: "a", count: 255))) != nil)
    }

    @Test func onlyASCIIIsCaseFolded() {
        let hosts = VirtualHosts([try! Self.server("k", ["k.test"]), try! Self.server("fallback", [])])
        #expect(RequestHost.name(ofAuthority: "K.TEST") == "k.test")
        #expect(RequestHost.name(ofAuthority: "\u{212A}.test") == nil)
        #expect(Self.name(hosts.choose(host: "k.test", serverName: nil)) == "k")
        #expect(throws: HostPattern.Invalid.self) { try HostPattern(parsing: "\u{212A}.test") }
    }

    @Test func withoutADefaultAnUnknownHostFindsNoServer() throws {
        let hosts = VirtualHosts(Array(Self.servers.dropLast()))
        #expect(Self.name(hosts.choose(host: "other.test", serverName: nil)) == "404")
        #expect(Self.name(hosts.choose(host: nil, serverName: nil)) == "404")
        #expect(hosts.fallback.name == "apex", "its log is the first server's")
    }

    @Test func aListenerOfOneServerWithoutHostsTakesEveryRequest() throws {
        let hosts = VirtualHosts(try Self.server("only", []))
        #expect(!hosts.isByName)
        #expect(Self.name(hosts.choose(host: nil, serverName: "x")) == "only")
    }

    @Test func patternsAreValidatedAndLowerCased() throws {
        #expect(try HostPattern(parsing: "WWW.Example.COM.") == .exact("www.example.com"))
        #expect(try HostPattern(parsing: "*.Example.com") == .wildcard(suffix: ".example.com"))
        #expect(try HostPattern(parsing: "xn--bcher-kva.example") == .exact("xn--bcher-kva.example"))
        for bad in ["https://a.com", "a.com:443", "a.com/x", "*a.com", "a.*.com", "*.*.a.com", "", ".", "a..com",
                    "[::1]", "b\u{fc}cher.de", String(repeating: "a", count: 64) + ".com"] {
            #expect(throws: HostPattern.Invalid.self, "\(bad)") { try HostPattern(parsing: bad) }
        }
        #expect(HostPattern.wildcard(suffix: ".example.com").matches("a.example.com"))
        #expect(!HostPattern.wildcard(suffix: ".example.com").matches("example.com"))
    }
}

/// The 421 rule: over TLS, a request for a host the certificate chosen by SNI does not
/// cover, when that is not the name the client asked TLS for.
@Suite final class MisdirectedRequestTests {
    let directory: String
    let hosts: VirtualHosts

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("zerodt-vhost-\(UUID())").path
        let identities = try TestCertificateAuthority(directory: directory).identities([["a.test"], ["*.b.test"]])
        hosts = VirtualHosts([try VirtualHostsTests.server("a", ["a.test"]), try VirtualHostsTests.server("b", ["*.b.test"]),
                              try VirtualHostsTests.server("default", [])],
                             certificates: identities)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    @Test(arguments: [
        ("a.test", "a.test", "a"), ("A.TEST.", "a.test", "a"), ("x.b.test", "x.b.test", "b"),
        // The certificate for *.b.test covers y.b.test: HTTP/2 connection reuse is allowed.
        ("x.b.test", "y.b.test", "b"),
        ("a.test", "x.b.test", "421"), ("x.b.test", "a.test", "421"),
        // A name no certificate has gets the default certificate (a.test's), which does not cover it...
        ("unknown.test", "x.b.test", "421"),
        // ...but when Host and SNI agree, the client accepted the certificate: the default server answers.
        ("unknown.test", "unknown.test", "default"),
        // No SNI (a client connecting by address): nothing to disagree with.
        (nil, "x.b.test", "b"), (nil, nil, "default"),
        // A request that names no host (HTTP/1.0) on a connection made for a name.
        ("a.test", nil, "421"),
    ] as [(String?, String?, String)])
    func aHostTheSNICertificateDoesNotCoverIsMisdirected(_ sni: String?, _ host: String?, _ expected: String) {
        #expect(VirtualHostsTests.name(hosts.choose(host: host, serverName: sni)) == expected)
    }
}
