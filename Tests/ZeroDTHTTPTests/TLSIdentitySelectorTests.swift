import Foundation
import NIOSSL
import Testing
import TestSupport
@testable import ZeroDTHTTP

/// SNI: which identity a handshake gets for the name a client sends.
@Suite final class TLSIdentitySelectorTests {
    let directory: String
    let selector: TLSIdentitySelector

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("zerodt-sni-\(UUID())").path
        let ca = try TestCertificateAuthority(directory: directory)
        selector = TLSIdentitySelector(identities: try ca.identities([["default.test"], ["*.example.test"],
                                                                      ["www.example.test", "Other.Test"]]))
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    @Test func namesAreReadLowerCasedFromTheCertificate() {
        #expect(selector.identities[2].serverNames == ["www.example.test", "other.test"])
    }

    @Test(arguments: [
        ("default.test", 0), ("www.example.test", 2), ("WWW.Example.Test.", 2), ("api.example.test", 1),
        ("other.test", 2), ("example.test", 0), ("a.b.example.test", 0), ("unknown.test", 0),
    ])
    func exactNamesWinOverWildcardsAndUnknownNamesGetTheDefault(_ name: String, _ expected: Int) {
        #expect(selector.index(for: name) == expected)
    }

    @Test func noNameGetsTheDefaultWithoutChanges() {
        #expect(selector.index(for: nil) == 0)
        #expect(selector.override(for: nil).certificateChain == nil)
        #expect(selector.override(for: "api.example.test").certificateChain?.count == 1)
    }

    @Test func aContextNeedsACertificate() {
        #expect(throws: TLSContextError.self) { try TLSServerContext(TLSServerConfiguration(identities: [])) }
    }
}
