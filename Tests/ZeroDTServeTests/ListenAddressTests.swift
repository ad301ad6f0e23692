import Testing
import ZeroDT

@Suite struct ListenAddressTests {
    @Test(arguments: [
        ("127.0.0.1:8080", ListenAddress.tcp(host: "127.0.0.1", port: 8080), "127.0.0.1:8080"),
        (":80", .tcp(host: nil, port: 80), ":80"),
        ("*:80", .tcp(host: nil, port: 80), ":80"),
        ("0.0.0.0:80", .tcp(host: "0.0.0.0", port: 80), "0.0.0.0:80"),
        ("localhost:65535", .tcp(host: "127.0.0.1", port: 65535), "127.0.0.1:65535"),
        ("[::1]:1", .tcp(host: "::1", port: 1), "[::1]:1"),
        ("[::]:443", .tcp(host: "::", port: 443), "[::]:443"),
        ("[fe80::1]:8080", .tcp(host: "fe80::1", port: 8080), "[fe80::1]:8080"),
        ("unix:/run/a.sock", .unix(path: "/run/a.sock"), "unix:/run/a.sock"),
        ("unix:relative.sock", .unix(path: "relative.sock"), "unix:relative.sock"),
    ])
    func parses(_ text: String, _ expected: ListenAddress, _ canonical: String) throws {
        let address = try ListenAddress.parse(text)
        #expect(address == expected)
        #expect(address.description == canonical)
        #expect(try ListenAddress.parse(canonical) == address)
    }

    @Test(arguments: [
        ("", "expected HOST:PORT, :PORT or unix:PATH"),
        ("8080", "expected HOST:PORT, :PORT or unix:PATH"),
        (":", "port '' is not a number"),
        (":0", "port 0 is out of range (1-65535)"),
        (":65536", "port 65536 is out of range (1-65535)"),
        (":+80", "port '+80' is not a number"),
        ("host.example:80", "'host.example' is not an IP address (use an IPv4 literal, [IPv6], localhost or :PORT)"),
        ("1.2.3:80", "'1.2.3' is not an IP address (use an IPv4 literal, [IPv6], localhost or :PORT)"),
        ("::1:80", "IPv6 addresses must be in brackets, as in [::1]:8080"),
        ("[::1", "missing ']' after IPv6 address"),
        ("[::1]", "expected ':PORT' after ']'"),
        ("[nope]:80", "'nope' is not an IPv6 address"),
        ("unix:", "unix socket path is empty"),
        ("unix:a\u{0}b", "address contains a control character"),
        ("127.0.0.1\u{0}junk:80", "address contains a control character"),
    ])
    func rejects(_ text: String, _ reason: String) {
        let error = #expect(throws: ListenAddress.ParseError.self) { try ListenAddress.parse(text) }
        #expect(error?.description == reason)
    }

    @Test(arguments: [
        (":8080", "127.0.0.1:8080", true),
        ("0.0.0.0:8080", "127.0.0.1:8080", true),
        ("[::]:8080", "127.0.0.1:8080", true),
        ("[::1]:80", "[0:0:0:0:0:0:0:1]:80", true),
        ("[::ffff:1.2.3.4]:80", "[::FFFF:1.2.3.4]:80", true),
        ("127.0.0.1:80", "127.0.0.1:80", true),
        ("127.0.0.1:80", "127.0.0.2:80", false),
        ("127.0.0.1:80", "[::1]:80", false),
        (":80", ":81", false),
        ("unix:/a", "unix:/a", true),
        ("unix:/a", "unix:/b", false),
        ("unix:/run/./a/../site.sock", "unix:/run/site.sock", true),
        ("unix://run//site.sock", "unix:/run/site.sock", true),
        ("unix:/run/x/site.sock", "unix:/run/site.sock", false),
        ("unix:/a", ":80", false),
    ])
    func conflicts(_ a: String, _ b: String, _ expected: Bool) throws {
        let first = try ListenAddress.parse(a)
        let second = try ListenAddress.parse(b)
        #expect(first.conflicts(with: second) == expected)
        #expect(second.conflicts(with: first) == expected)
        if first.unixPath != nil {
            #expect(first.isSameSocket(as: second) == expected, "a successor takes over what it would conflict with")
        }
    }
}
