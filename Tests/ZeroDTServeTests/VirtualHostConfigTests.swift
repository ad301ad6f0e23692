import Foundation
import Testing
import ZeroDTHTTP
@testable import ZeroDTServe

/// `hosts:` and servers sharing an address: what they decode to, and which socket each
/// address becomes and whose it is. (HTTPS addresses: `TLSConfigTests+SharedAddress`.)
@Suite struct VirtualHostConfigTests {
    /// A `servers:` item answering `hi` on `listen` (a YAML list), with `hosts` if given.
    static func server(_ name: String, listen: String, hosts: String? = nil) -> String {
        """
          - name: \(name)
            listen: \(listen)
        \(hosts.map { "    hosts: \($0)\n" } ?? "")    routes: [{ path: /, respond: hi }]

        """
    }

    static func load(_ servers: String..., baseDirectory: String = NSTemporaryDirectory()) -> SiteConfig? {
        loadValid("servers:\n" + servers.joined(), baseDirectory: baseDirectory)
    }

    @Test func serversSharingAnAddressShareOneSocketOwnedByTheDefault() throws {
        let site = try #require(Self.load(
            Self.server("apps", listen: #"[":80", ":81"]"#, hosts: #"["*.Apps.Example.com", apps.example.com.]"#),
            Self.server("default", listen: #"[":80"]"#),
            Self.server("alone", listen: #"[":82"]"#, hosts: "[alone.example]")))
        #expect(site.servers[0].hosts.map(\.pattern) == [.wildcard(suffix: ".apps.example.com"), .exact("apps.example.com")])
        #expect(site.servers[0].hosts[0].location.line == 4 && site.servers[0].hosts[0].location.column == 13)
        #expect(site.servers[1].hosts.isEmpty)
        let sockets = site.sockets
        #expect(sockets.map { "\($0.listener.address)" } == [":80", ":81", ":82"])
        #expect(sockets.map(\.servers) == [[0, 1], [0], [2]])
        #expect(sockets.map(\.owner) == [1, 0, 2], "the default owns :80")
    }

    @Test func aUnixSocketSpelledTwoWaysIsOneSharedSocket() throws {
        let directory = NSTemporaryDirectory()
        let site = try #require(Self.load(Self.server("a", listen: #"["unix:u.sock"]"#, hosts: "[a.example]"),
                                          Self.server("b", listen: #"["unix:./u.sock"]"#, hosts: "[b.example]"),
                                          Self.server("c", listen: #"["unix:x/../u.sock"]"#),
                                          baseDirectory: directory))
        #expect(site.sockets.map(\.servers) == [[0, 1, 2]])
        #expect(site.sockets.first?.listener.address.unixPath
                == URL(fileURLWithPath: directory).appendingPathComponent("u.sock").standardizedFileURL.path)
    }

    @Test func withoutADefaultTheFirstServerOwnsTheSocket() throws {
        let site = try #require(Self.load(Self.server("a", listen: #"[":80"]"#, hosts: "[a.example]"),
                                          Self.server("b", listen: #"[":80"]"#, hosts: "[b.example]")))
        #expect(site.sockets.map(\.owner) == [0])
    }
}

extension VirtualHostConfigTests {
    @Test func connectionSettingsThatDoNotApplyOnASharedAddressAreWarnedOf() throws {
        let site = try #require(Self.load(
            Self.server("a", listen: #"[":80"]"#, hosts: "[a.example]")
                .replacingOccurrences(of: "    routes:", with: "    limits: { max_body_size: 10MiB }\n    routes:"),
            Self.server("default", listen: #"[":80"]"#)))
        #expect(flatten(site.warnings) == [
            "3:14: warning: server 'a' sets timeouts, limits or shutdown_delay unlike 'default', whose apply on :80: "
                + "it owns that address",
        ])
        #expect(try #require(Self.load(Self.server("a", listen: #"[":80"]"#, hosts: "[a.example]"),
                                       Self.server("default", listen: #"[":80"]"#))).warnings.isEmpty)
    }
}
