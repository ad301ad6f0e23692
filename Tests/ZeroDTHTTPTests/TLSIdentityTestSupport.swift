import NIOSSL
import TestSupport
import ZeroDTHTTP

extension TestCertificateAuthority {
    /// One identity per entry of `names`, each a leaf for those DNS names, as a listener loads it.
    func identities(_ names: [[String]]) throws -> [TLSIdentity] {
        try names.enumerated().map { index, names in
            let leaf = try leaf("leaf\(index)", dnsNames: names)
            return TLSIdentity(leaf: try NIOSSLCertificate.fromPEMFile(leaf.cert)[0],
                               key: try NIOSSLPrivateKey(file: leaf.key, format: .pem))
        }
    }
}
