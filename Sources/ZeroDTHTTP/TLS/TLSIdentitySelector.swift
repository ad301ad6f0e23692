import NIOSSL

/// Picks the identity for a handshake from the name the client asked for (SNI): an exact
/// name first, then a wildcard, else the default (the first identity).
struct TLSIdentitySelector: Sendable {
    let identities: [TLSIdentity]

    /// The index of the identity for `hostname`; 0 (the default) when none has that name.
    func index(for hostname: String?) -> Int {
        guard var name = hostname?.lowercased() else { return 0 }
        if name.hasSuffix(".") { name.removeLast() }
        return identities.firstIndex { $0.hasExactName(name) }
            ?? identities.firstIndex { $0.hasWildcardName(covering: name) }
            ?? 0
    }

    /// What to change in the listener's context for a client that asked for `hostname`.
    func override(for hostname: String?) -> NIOSSLContextConfigurationOverride {
        let index = index(for: hostname)
        guard index > 0 else { return .noChanges }
        let identity = identities[index]
        var override = NIOSSLContextConfigurationOverride()
        override.certificateChain = identity.chain.map { .certificate($0) }
        override.privateKey = .privateKey(identity.key)
        return override
    }
}
