import ZeroDT

/// One listening socket: an address and every server that declares it. Servers that share
/// an address share its socket — one listener, restarted as one — and a request picks its
/// server by the host it names.
public struct SocketPlan: Sendable, Equatable {
    /// The servers declaring the address, as indices into `SiteConfig.servers`, in file order.
    public var servers: [Int]
    /// Their `listen:` entries for the address, in the same order.
    public var entries: [ListenerConfig]
    /// The index into `servers` of the owner: the default server (without `hosts`), else the
    /// first declared. Its entry's options (`name`, `backlog`, `mode`, TLS `min_version`
    /// and `alpn`) and its connection settings (timeouts, limits, `shutdown_delay`) apply
    /// to the socket.
    public var ownerPosition: Int

    /// The owner's index into `SiteConfig.servers`.
    public var owner: Int { servers[ownerPosition] }

    /// The socket as configured: the owner's entry, offering the certificates of every
    /// server on it (the owner's first, so its first certificate stays the default).
    public var listener: ListenerConfig {
        var listener = entries[ownerPosition]
        guard var tls = listener.tls else { return listener }
        for entry in entries {
            for certificate in entry.tls?.certificates ?? []
            where !tls.certificates.contains(where: { $0.identity == certificate.identity }) {
                tls.certificates.append(certificate)
            }
        }
        listener.tls = tls
        return listener
    }
}

extension SiteConfig {
    /// The sockets to listen on, in the order their addresses are first declared: servers
    /// declaring the same address share one.
    public var sockets: [SocketPlan] {
        var plans: [SocketPlan] = []
        var indexByAddress: [ListenAddress: Int] = [:]
        for (serverIndex, server) in servers.enumerated() {
            for entry in server.listen {
                if let index = indexByAddress[entry.address], !plans[index].servers.contains(serverIndex) {
                    plans[index].servers.append(serverIndex)
                    plans[index].entries.append(entry)
                } else if indexByAddress[entry.address] == nil {
                    indexByAddress[entry.address] = plans.count
                    plans.append(SocketPlan(servers: [serverIndex], entries: [entry], ownerPosition: 0))
                }
            }
        }
        for index in plans.indices {
            plans[index].ownerPosition = plans[index].servers.firstIndex { servers[$0].hosts.isEmpty } ?? 0
        }
        return plans
    }
}
