import Foundation
import NIOSSL
import Testing
import TestSupport
@testable import ZeroDTHTTP

/// A listener's TLS context is built from the contexts its certificate check already built:
/// reused whole when it was built for the same configuration, and never trusting an identity
/// that no context checked.
@Suite final class TLSServerContextTests {
    let directory: String
    let identities: [TLSIdentity]

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("zerodt-context-\(UUID())").path
        let ca = try TestCertificateAuthority(directory: directory)
        identities = try ca.identities([["a.test"], ["b.test"]])
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    @Test func aContextBuiltForTheSameConfigurationIsReused() throws {
        let configuration = TLSServerConfiguration(identities: [identities[0]], minimumVersion: .tlsv13,
                                                   applicationProtocols: [.http1_1])
        let checked = try TLSServerContext(configuration)
        #expect(try TLSServerContext.make(configuration, reusing: [checked]) === checked)
    }

    @Test func otherSettingsOrSeveralIdentitiesGetANewContextForExactlyThem() throws {
        let checked = try identities.map { try TLSServerContext(TLSServerConfiguration(identities: [$0])) }
        let both = TLSServerConfiguration(identities: identities)
        let combined = try TLSServerContext.make(both, reusing: checked)
        #expect(!checked.contains { $0 === combined })
        #expect(combined.configuration == both)
        let strict = TLSServerConfiguration(identities: [identities[0]], minimumVersion: .tlsv13)
        let other = try TLSServerContext.make(strict, reusing: checked)
        #expect(other !== checked[0])
        #expect(other.configuration == strict)
        #expect(other.offersHTTP2)
    }

    @Test func anIdentityNoContextCheckedIsStillChecked() throws {
        // b's certificate with a's key: BoringSSL refuses it, also when SNI alone would pick it.
        let mismatched = TLSIdentity(leaf: identities[1].leaf, key: identities[0].key)
        let checked = try TLSServerContext(TLSServerConfiguration(identities: [identities[0]]))
        #expect(throws: TLSContextError.self) {
            try TLSServerContext.make(TLSServerConfiguration(identities: [identities[0], mismatched]), reusing: [checked])
        }
    }
}
