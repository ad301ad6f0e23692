import Testing
@testable import ZeroDTServe

/// An HTTPS address shared by several servers.
extension TLSConfigTests {
    /// A `listen:` list of `:443` with `tls` holding the certificates `names` (`NAME.pem`) and
    /// `extra` TLS keys.
    private static func https(_ names: [String], extra: String = "") -> String {
        let pairs = names.map { "{ cert: \($0).pem, key: \($0).key }" }.joined(separator: ", ")
        return "[{ address: \":443\", tls: { certificates: [\(pairs)]\(extra) } }]"
    }

    @Test func anHTTPSAddressOffersTheCertificatesOfAllItsServersTheOwnersFirst() throws {
        for name in ["a", "b", "c"] { try ca.leaf(name, dnsNames: ["\(name).test"], in: directory.path) }
        let site = try #require(VirtualHostConfigTests.load(
            VirtualHostConfigTests.server("a", listen: Self.https(["a"]), hosts: "[a.test]"),
            VirtualHostConfigTests.server("b", listen: Self.https(["b", "a"])),
            VirtualHostConfigTests.server("c", listen: Self.https(["c"], extra: ", min_version: \"1.3\""), hosts: "[c.test]"),
            baseDirectory: directory.path))
        let socket = try #require(site.sockets.first)
        #expect(socket.owner == 1)
        let tls = try #require(socket.listener.tls)
        #expect(tls.certificates.map(\.identity.serverNames) == [["b.test"], ["a.test"], ["c.test"]])
        #expect(tls.minimumVersion == nil, "the owner's, not c's")
    }

    @Test func aNameOnCertificatesOfTwoServersSharingAnAddressIsAnError() throws {
        try ca.leaf("a", dnsNames: ["a.test"], in: directory.path)
        try ca.leaf("a2", dnsNames: ["a.test", "x.test"], in: directory.path)
        let found = diagnostics(loading: "servers:\n"
            + VirtualHostConfigTests.server("a", listen: Self.https(["a"]), hosts: "[a.test]")
            + VirtualHostConfigTests.server("b", listen: Self.https(["a2"]), hosts: "[b.test]"), baseDirectory: directory.path)
        #expect(found == [
            "7:63: server name 'a.test' is also in the certificate in '\(directory.path)/a.pem'; SNI can choose only "
                + "one certificate per name",
            "note 3:63: that certificate is named here",
        ])
    }

    @Test func anAddressHTTPSForOneServerAndPlainForAnotherIsAnError() throws {
        try ca.leaf("a", dnsNames: ["a.test"], in: directory.path)
        let found = diagnostics(loading: "servers:\n"
            + VirtualHostConfigTests.server("a", listen: Self.https(["a"]), hosts: "[a.test]")
            + VirtualHostConfigTests.server("b", listen: #"[":443"]"#), baseDirectory: directory.path)
        #expect(found == [
            "7:14: address :443 is HTTPS for server 'a' but plain HTTP here; servers sharing an address share its "
                + "socket, so all or none must have 'tls'",
            "note 3:14: first declared here",
        ])
    }
}
