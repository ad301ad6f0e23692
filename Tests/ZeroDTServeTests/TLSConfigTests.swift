import Foundation
import Testing
import TestSupport
@testable import ZeroDTHTTP
@testable import ZeroDTServe

/// `tls:` on listeners: the keys, and every certificate problem `check` must find, with exact
/// messages at the `cert` or `key` value. Certificates come from a throwaway CA.
@Suite final class TLSConfigTests {
    let directory: TemporaryDirectory
    let ca: TestCertificateAuthority

    init() throws {
        directory = try TemporaryDirectory()
        ca = try TestCertificateAuthority(directory: directory.path + "/ca")
    }

    deinit { directory.remove() }

    /// A server listening on 127.0.0.1:8443 with `tls` as given (indented for a listener).
    private func config(tls: String) -> String {
        """
        servers:
          - name: web
            listen:
              - address: "127.0.0.1:8443"
                tls:
        \(tls.split(separator: "\n").map { "          " + $0 }.joined(separator: "\n"))
            routes:
              - path: /
                respond: {body: hi}
        """
    }

    private func errors(tls: String) -> [String] {
        diagnostics(loading: config(tls: tls), baseDirectory: directory.path)
    }

    @Test func oneCertificateLoadsWithItsNamesAndTheDefaultMinimumVersion() throws {
        try ca.leaf("site", dnsNames: ["site.test", "*.site.test"], in: directory.path)
        let site = try #require(loadValid(config(tls: "cert: site.pem\nkey: site.key"), baseDirectory: directory.path))
        let tls = try #require(site.listeners[0].tls)
        #expect(tls.certificates.count == 1)
        #expect(tls.certificates[0].certFile == directory.path + "/site.pem")
        #expect(tls.certificates[0].identity.serverNames == ["site.test", "*.site.test"])
        // Leaf and CA: the chain file holds both.
        #expect(tls.certificates[0].identity.chain.count == 2)
        #expect(tls.server.minimumVersion == .tlsv12)
        #expect(site.warnings.isEmpty)
    }

    @Test func certificatesListAndMinimumVersion() throws {
        try ca.leaf("a", dnsNames: ["a.test"], in: directory.path)
        try ca.leaf("b", dnsNames: ["b.test"], in: directory.path)
        let text = config(tls: """
            certificates:
              - {cert: a.pem, key: a.key}
              - {cert: b.pem, key: b.key}
            min_version: "1.3"
            """)
        let site = try #require(loadValid(text, baseDirectory: directory.path))
        let tls = try #require(site.listeners[0].tls)
        #expect(tls.certificates.map(\.identity.serverNames) == [["a.test"], ["b.test"]])
        #expect(tls.server.minimumVersion == .tlsv13)
    }

    @Test func aListenerWithOneCertificateServesWithTheContextItsCheckBuilt() throws {
        try ca.leaf("site", dnsNames: ["site.test"], in: directory.path)
        let text = config(tls: "cert: site.pem\nkey: site.key\nmin_version: \"1.3\"\nalpn: [http/1.1]")
        let tls = try #require(loadValid(text, baseDirectory: directory.path)?.listeners[0].tls)
        let context = try tls.makeContext()
        #expect(context === tls.certificates[0].context)
        #expect(context.configuration == tls.server)
    }

    @Test func keysAreCheckedWithDidYouMean() {
        #expect(errors(tls: "cert: a.pem\nkee: a.key") == [
            "7:11: unknown key 'kee' in 'tls'", "note: did you mean 'key'?",
        ])
        #expect(errors(tls: "min_version: \"1.2\"") == [
            "6:11: 'tls' needs 'cert' and 'key', or a 'certificates' list",
        ])
        #expect(errors(tls: "cert: a.pem") == ["6:11: missing required key 'key' in 'tls'"])
    }

    @Test func certAndCertificatesTogetherAreAnError() {
        #expect(errors(tls: "cert: a.pem\nkey: a.key\ncertificates: [{cert: b.pem, key: b.key}]") == [
            "6:11: 'tls' takes 'cert' and 'key' or a 'certificates' list, not both",
            "note 8:11: 'certificates' is here",
        ])
    }

    @Test func emptyListAndBadItems() {
        #expect(errors(tls: "certificates: []") == ["6:25: 'certificates' must not be empty"])
        #expect(errors(tls: "certificates: [{cert: a.pem}]") == [
            "6:26: missing required key 'key' in 'certificates'",
        ])
        #expect(errors(tls: "certificates: [a.pem]") == ["6:26: 'certificates' must be a mapping, found a scalar"])
    }

    @Test func badMinimumVersion() throws {
        try ca.leaf("a", dnsNames: ["a.test"], in: directory.path)
        #expect(errors(tls: "cert: a.pem\nkey: a.key\nmin_version: \"1.1\"") == [
            "8:24: 'min_version' must be one of 1.2, 1.3, found '1.1'", "note: did you mean '1.2'?",
        ])
    }

    @Test func alpnDefaultsToHTTP2ThenHTTP1AndCanTurnHTTP2Off() throws {
        try ca.leaf("a", dnsNames: ["a.test"], in: directory.path)
        let byDefault = try #require(loadValid(config(tls: "cert: a.pem\nkey: a.key"), baseDirectory: directory.path))
        #expect(byDefault.listeners[0].tls?.server.applicationProtocols == [.http2, .http1_1])
        let http1Only = try #require(loadValid(config(tls: "cert: a.pem\nkey: a.key\nalpn: [http/1.1]"),
                                               baseDirectory: directory.path))
        #expect(http1Only.listeners[0].tls?.server.applicationProtocols == [.http1_1])
    }

    @Test func badALPNListsAreErrorsAtTheirItems() throws {
        try ca.leaf("a", dnsNames: ["a.test"], in: directory.path)
        #expect(errors(tls: "cert: a.pem\nkey: a.key\nalpn: [h3]") == [
            "8:18: 'alpn' must list protocols among h2, http/1.1, found 'h3'", "note: did you mean 'h2'?",
        ])
        #expect(errors(tls: "cert: a.pem\nkey: a.key\nalpn: []") == ["8:17: 'alpn' must not be empty"])
        #expect(errors(tls: "cert: a.pem\nkey: a.key\nalpn: [h2, http/1.1, h2]") == [
            "8:32: 'h2' is listed twice in 'alpn'", "note 8:18: first listed here",
        ])
        #expect(errors(tls: "cert: a.pem\nkey: a.key\nalpn: h2") == ["8:17: 'alpn' must be a list, found a scalar"])
    }

    @Test func unreadableFilesAndBadPEM() throws {
        try directory.write("garbage.pem", "not a certificate\n")
        try directory.write("garbage.key", "not a key\n")
        let path = directory.path
        #expect(errors(tls: "cert: missing.pem\nkey: missing.key") == [
            "6:17: cannot read certificate '\(path)/missing.pem': no such file",
            "7:16: cannot read key '\(path)/missing.key': no such file",
        ])
        #expect(errors(tls: "cert: garbage.pem\nkey: garbage.key") == [
            "6:17: '\(path)/garbage.pem' is not a PEM certificate chain (-----BEGIN CERTIFICATE-----, leaf first)",
            "7:16: '\(path)/garbage.key' is not a PEM private key (-----BEGIN PRIVATE KEY-----)",
        ])
        #expect(errors(tls: "cert: .\nkey: garbage.key").first
                == "6:17: cannot read certificate '\(path)/.': it is a directory, not a regular file")
    }

    @Test func aKeyOfAnotherCertificateIsAnErrorAtTheKey() throws {
        try ca.leaf("a", dnsNames: ["a.test"], in: directory.path)
        try ca.leaf("b", dnsNames: ["b.test"], in: directory.path)
        let path = directory.path
        #expect(errors(tls: "cert: a.pem\nkey: b.key") == [
            "7:16: the key in '\(path)/b.key' does not belong to the certificate in '\(path)/a.pem'",
        ])
    }

    /// A pair that works on its own but not with the listener's settings is reported with
    /// BoringSSL's reason, at the certificate, not as a key of another certificate.
    @Test func aContextRefusedForTheSettingsSaysWhy() throws {
        try ca.leaf("a", dnsNames: ["a.test"], in: directory.path)
        var check = CertificateCheck()
        check.makeContext = { configuration throws(TLSContextError) in
            guard configuration.minimumVersion != .tlsv13 else { throw TLSContextError(description: "no TLS 1.3 here") }
            return try TLSServerContext(configuration)
        }
        let pair = CertificateCheck.Pair(certFile: directory.path + "/a.pem", keyFile: directory.path + "/a.key",
                                         certLocation: SourceLocation(file: "c.yaml", line: 6, column: 17),
                                         keyLocation: SourceLocation(file: "c.yaml", line: 7, column: 16))
        #expect(check.load(pair, settings: TLSServerConfiguration(identities: [])) != nil)
        #expect(check.load(pair, settings: TLSServerConfiguration(identities: [], minimumVersion: .tlsv13)) == nil)
        #expect(check.diagnostics.map(\.description) == [
            "c.yaml:6:17: error: the certificate in '\(directory.path)/a.pem' cannot be served with this listener's "
                + "TLS settings: no TLS 1.3 here",
        ])
    }

    @Test func anEncryptedKeyIsExplained() throws {
        let leaf = try ca.leaf("a", dnsNames: ["a.test"], in: directory.path)
        try TestCertificateAuthority.openssl(["pkey", "-in", leaf.key, "-out", directory.path + "/locked.key",
                                              "-aes256", "-passout", "pass:secret"])
        #expect(errors(tls: "cert: a.pem\nkey: locked.key") == [
            "7:16: the key in '\(directory.path)/locked.key' is encrypted; give an unencrypted one "
                + "(openssl pkey -in KEY -out PLAIN_KEY), readable only by the server's user",
        ])
    }

    @Test func expiredAndNotYetValidCertificatesAreErrors() throws {
        let utc = { (text: String) in ISO8601DateFormatter().date(from: text)! }
        try ca.leaf("old", dnsNames: ["old.test"], from: utc("2020-01-01T00:00:00Z"), until: utc("2020-02-01T12:00:00Z"),
                    in: directory.path)
        try ca.leaf("future", dnsNames: ["future.test"], from: utc("2090-01-01T00:00:00Z"),
                    until: utc("2091-01-01T00:00:00Z"), in: directory.path)
        let path = directory.path
        #expect(errors(tls: "cert: old.pem\nkey: old.key") == [
            "6:17: the certificate in '\(path)/old.pem' expired on 2020-02-01 12:00:00 UTC",
        ])
        #expect(errors(tls: "cert: future.pem\nkey: future.key") == [
            "6:17: the certificate in '\(path)/future.pem' is not valid before 2090-01-01 00:00:00 UTC",
        ])
    }

    @Test func aCertificateEndingWithinFourteenDaysIsAWarning() throws {
        // Five days and an hour: five whole days however long the test takes to get there.
        let end = Date().addingTimeInterval(5 * 86400 + 3600)
        try ca.leaf("soon", dnsNames: ["soon.test"], from: Date().addingTimeInterval(-60), until: end, in: directory.path)
        let site = try #require(loadValid(config(tls: "cert: soon.pem\nkey: soon.key"), baseDirectory: directory.path))
        let date = CertificateCheck.date(time_t(end.timeIntervalSince1970))
        #expect(flatten(site.warnings) == [
            "6:17: warning: the certificate in '\(directory.path)/soon.pem' expires on \(date), in 5 days",
        ])
    }

    @Test func aServerNameOnTwoCertificatesIsAnError() throws {
        try ca.leaf("a", dnsNames: ["a.test", "shared.test"], in: directory.path)
        try ca.leaf("b", dnsNames: ["b.test", "shared.test"], in: directory.path)
        #expect(errors(tls: "certificates:\n  - {cert: a.pem, key: a.key}\n  - {cert: b.pem, key: b.key}") == [
            "8:22: server name 'shared.test' is also in the certificate in '\(directory.path)/a.pem'; SNI can "
                + "choose only one certificate per name",
            "note 7:22: that certificate is named here",
        ])
    }

    @Test func aChainWithTheLeafLastSaysToPutItFirst() throws {
        let leaf = try ca.leaf("a", dnsNames: ["a.test"], in: directory.path)
        let blocks = try String(contentsOfFile: leaf.cert, encoding: .utf8).components(separatedBy: "-----END CERTIFICATE-----\n")
            .filter { !$0.isEmpty }.map { $0 + "-----END CERTIFICATE-----\n" }
        try blocks.reversed().joined().write(toFile: directory.path + "/reversed.pem", atomically: true, encoding: .utf8)
        #expect(errors(tls: "cert: reversed.pem\nkey: a.key") == [
            "6:17: the key in '\(directory.path)/a.key' belongs to certificate 2 of the chain in "
                + "'\(directory.path)/reversed.pem'; put that certificate (the leaf) first",
        ])
    }

    @Test func aKeyOnACurveTheServerCannotUseIsNamedAsSuch() throws {
        try ca.leaf("a", dnsNames: ["a.test"], in: directory.path)
        try TestCertificateAuthority.openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:secp256k1",
                                              "-out", directory.path + "/k1.key"])
        #expect(errors(tls: "cert: a.pem\nkey: k1.key") == [
            "7:16: the key in '\(directory.path)/k1.key' is of a type or curve this server cannot use; give an RSA "
                + "key or an EC key on P-256 or P-384",
        ])
    }

    @Test func aLaterCertificateWithoutANameIsAWarning() throws {
        try ca.leaf("a", dnsNames: ["a.test"], in: directory.path)
        try TestCertificateAuthority.openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                                              "-nodes", "-keyout", directory.path + "/n.key", "-out", directory.path + "/n.pem",
                                              "-subj", "/CN=nosan.test", "-days", "30"])
        let site = try #require(loadValid(config(tls: "certificates:\n  - {cert: a.pem, key: a.key}\n  - {cert: n.pem, key: n.key}"),
                                          baseDirectory: directory.path))
        #expect(flatten(site.warnings) == [
            "8:22: warning: the certificate in '\(directory.path)/n.pem' names no DNS server name (subjectAltName): "
                + "SNI can never choose it, and only the first certificate is the default",
        ])
    }
}
