import Foundation
import Testing
import TestSupport
import ZeroDTHTTP
@testable import ZeroDTServe

/// `hosts:` and servers sharing an address: what they decode to, which socket each address
/// becomes and whose it is, and the HTTPS/plain-HTTP clash.
@Suite final class VirtualHostConfigTests {
    let directory: TemporaryDirectory
    let ca: TestCertificateAuthority

    init() throws {
        directory = try TemporaryDirectory()
        ca = try TestCertificateAuthority(directory: directory.path + "/ca")
    }

    deinit { directory.remove() }

    @Test func serversSharingAnAddressShareOneSocketOwnedByTheDefault() throws {
        let site = try #require(loadValid("""
            servers:
              - name: apps
                listen: [":80", ":81"]
                hosts: ["*.Apps.Example.com", apps.example.com.]
                routes: [{ path: /, respond: hi }]
              - name: default
                listen: [":80"]
                routes: [{ path: /, respond: hi }]
              - name: alone
                listen: [":82"]
                hosts: [alone.example]
                routes: [{ path: /, respond: hi }]
            """, baseDirectory: directory.path))
        #expect(site.servers[0].hosts.map(\.pattern) == [.wildcard(suffix: ".apps.example.com"), .exact("apps.example.com")])
        #expect(site.servers[0].hosts[0].location.line == 4 && site.servers[0].hosts[0].location.column == 13)
        #expect(site.servers[1].hosts.isEmpty)
        let sockets = site.sockets
        #expect(sockets.map { "\($0.listener.address)" } == [":80", ":81", ":82"])
        #expect(sockets.map(\.servers) == [[0, 1], [0], [2]])
        #expect(sockets.map(\.owner) == [1, 0, 2], "the default owns :80")
    }

    @Test func withoutADefaultTheFirstServerOwnsTheSocket() throws {
        let site = try #require(loadValid("""
            servers:
              - name: a
                listen: [":80"]
                hosts: [a.example]
                routes: [{ path: /, respond: hi }]
              - name: b
                listen: [":80"]
                hosts: [b.example]
                routes: [{ path: /, respond: hi }]
            """, baseDirectory: directory.path))
        #expect(site.sockets.map(\.owner) == [0])
    }

    @Test func anHTTPSAddressOffersTheCertificatesOfAllItsServersTheOwnersFirst() throws {
        for name in ["a", "b", "c"] { try ca.leaf(name, dnsNames: ["\(name).test"], in: directory.path) }
        let site = try #require(loadValid("""
            servers:
              - name: a
                listen: [{ address: ":443", tls: { certificates: [{ cert: a.pem, key: a.key }] } }]
                hosts: [a.test]
                routes: [{ path: /, respond: hi }]
              - name: b
                listen: [{ address: ":443", tls: { certificates: [{ cert: b.pem, key: b.key }, { cert: a.pem, key: a.key }] } }]
                routes: [{ path: /, respond: hi }]
              - name: c
                listen: [{ address: ":443", tls: { certificates: [{ cert: c.pem, key: c.key }], min_version: "1.3" } }]
                hosts: [c.test]
                routes: [{ path: /, respond: hi }]
            """, baseDirectory: directory.path))
        let socket = try #require(site.sockets.first)
        #expect(socket.owner == 1)
        let tls = try #require(socket.listener.tls)
        #expect(tls.certificates.map(\.identity.serverNames) == [["b.test"], ["a.test"], ["c.test"]])
        #expect(tls.minimumVersion == nil, "the owner's, not c's")
    }

    @Test func anAddressHTTPSForOneServerAndPlainForAnotherIsAnError() throws {
        try ca.leaf("a", dnsNames: ["a.test"], in: directory.path)
        let found = diagnostics(loading: """
            servers:
              - name: a
                listen: [{ address: ":443", tls: { certificates: [{ cert: a.pem, key: a.key }] } }]
                hosts: [a.test]
                routes: [{ path: /, respond: hi }]
              - name: b
                listen: [":443"]
                routes: [{ path: /, respond: hi }]
            """, baseDirectory: directory.path)
        #expect(found == [
            "7:14: address :443 is HTTPS for server 'a' but plain HTTP here; servers sharing an address share its "
                + "socket, so all or none must have 'tls'",
            "note 3:14: first declared here",
        ])
    }
}
