extension InvalidConfigCase {
    /// `hosts:` and servers sharing an address.
    static let hosts: [InvalidConfigCase] = [
        .init("two default servers on one address", """
            servers:
              - name: a
                listen: [":80"]
                routes: [{ path: /, respond: hi }]
              - name: b
                listen: [":80"]
                routes: [{ path: /, respond: hi }]
            """, [
            "6:14: address :80 has two default servers: 'a' and 'b' both leave out 'hosts'",
            "note 3:14: 'a' declares it here",
            "note: give all but one of the servers sharing an address 'hosts'",
        ]),
        .init("one host for two servers on one address", """
            servers:
              - name: a
                listen: [":80"]
                hosts: [example.com, "*.example.com"]
                routes: [{ path: /, respond: hi }]
              - name: b
                listen: [":81", ":80"]
                hosts: [EXAMPLE.com., other.example]
                routes: [{ path: /, respond: hi }]
            """, [
            "8:13: host 'example.com' on address :80 is already taken by server 'a'",
            "note 4:13: listed there",
        ]),
        .init("invalid host patterns", """
            servers:
              - name: a
                listen: [":80"]
                hosts:
                  - http://a.com
                  - a.com:80
                  - a.*.com
                  - "*"
                  - bücher.de
                  - a..b
                  - a.com
                  - A.COM
                  - ""
                routes: [{ path: /, respond: hi }]
              - name: b
                listen: [":81"]
                hosts: []
                routes: [{ path: /, respond: hi }]
            """, [
            "5:9: invalid host 'http://a.com': a host name takes no scheme",
            "6:9: invalid host 'a.com:80': a host name takes no port (the listener has it) and may not be an IPv6 address",
            "7:9: invalid host 'a.*.com': a wildcard may only be the whole first label, as in '*.example.com'",
            "8:9: invalid host '*': a wildcard may only be the whole first label, as in '*.example.com'",
            "9:9: invalid host 'bücher.de': only letters a-z, digits, '-' and '_' may appear between dots; "
                + "write an internationalized name in its ASCII (punycode, xn--) form",
            "10:9: invalid host 'a..b': each label between dots must be 1 to 63 characters",
            "12:9: host 'a.com' is listed twice",
            "note 11:9: first listed here",
            "13:9: invalid host '': the name is empty",
            "17:12: 'hosts' must not be empty",
            "note: to make the server its addresses' default, leave 'hosts' out",
        ]),
        .init("a server twice on one address, and overlapping addresses of two servers", """
            servers:
              - name: a
                listen: [":80", ":80"]
                hosts: [a.example]
                routes: [{ path: /, respond: hi }]
              - name: b
                listen: ["127.0.0.1:80"]
                hosts: [b.example]
                routes: [{ path: /, respond: hi }]
            """, [
            "3:21: address :80 is declared twice",
            "note 3:14: first declared here",
            "7:14: address 127.0.0.1:80 overlaps :80 declared earlier",
            "note 3:14: first declared here",
        ]),
    ]
}
