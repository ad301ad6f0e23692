#if canImport(Glibc)
import Glibc
#endif
import NIOConcurrencyHelpers

/// The listening sockets of this process: those inherited (from a predecessor or systemd)
/// and those the configuration claims, matched by name first and by address second, then
/// bound fresh when nothing inherited matches.
public final class ListenerSet: Sendable {
    private struct Candidate {
        var socket: InheritedSocket
        var address: ListenAddress?
    }

    private struct State {
        var unclaimed: [Candidate]
        var claimed: [Listener] = []
    }

    private let state: NIOLockedValueBox<State>

    /// Takes ownership of the inherited fds; each is marked close-on-exec.
    ///
    /// Sockets a predecessor bound are matched by name only when the address agrees too: a
    /// listener whose address changed in the config must be bound anew. systemd's sockets
    /// (`InheritedSocket.fromSystemd`, also when a predecessor passes them on) are matched by
    /// name alone, since the unit, not the config, decides their address.
    /// - Parameter fromPredecessor: whether they come from a predecessor rather than straight
    ///   from systemd; when false, every socket counts as systemd's.
    public init(inherited: [InheritedSocket], fromPredecessor: Bool = false) {
        let candidates = inherited.map { socket in
            _ = fcntl(socket.fd, F_SETFD, FD_CLOEXEC)
            var socket = socket
            if !fromPredecessor { socket.fromSystemd = true }
            return Candidate(socket: socket, address: SocketName.listenAddress(of: socket.fd))
        }
        state = NIOLockedValueBox(State(unclaimed: candidates))
    }

    /// The listeners claimed so far, in order.
    public var claimed: [Listener] { state.withLockedValue { $0.claimed } }

    /// Inherited sockets nobody has claimed, with the address each is bound to.
    public var unclaimed: [(socket: InheritedSocket, address: ListenAddress?)] {
        state.withLockedValue { $0.unclaimed.map { ($0.socket, $0.address) } }
    }

    /// The listener for `address`: an inherited socket named `name` (or `alternateName`,
    /// e.g. the server's name for systemd units), else one bound to the same address,
    /// else a newly bound socket.
    /// - Throws: `SystemError` when binding fails.
    public func claim(_ address: ListenAddress, name: String?, alternateName: String? = nil,
                      backlog: Int32, mode: UInt32?) throws(SystemError) -> Listener {
        let inherited = state.withLockedValue { state -> Candidate? in
            func sameAddress(_ candidate: Candidate) -> Bool {
                candidate.address.map { $0.isSameSocket(as: address) } ?? false
            }
            func named(_ wanted: String?) -> (Candidate) -> Bool {
                { wanted != nil && $0.socket.name == wanted && ($0.socket.fromSystemd || sameAddress($0)) }
            }
            let index = state.unclaimed.firstIndex(where: named(name))
                ?? state.unclaimed.firstIndex(where: sameAddress)
                ?? state.unclaimed.firstIndex(where: named(alternateName))
            return index.map { state.unclaimed.remove(at: $0) }
        }
        let listener: Listener
        if let inherited {
            // An unnamed listener keeps the inherited name (systemd's), so that it is still
            // matched by it after the next restart.
            listener = Listener(name: name ?? inherited.socket.name, address: inherited.address ?? address,
                                fd: inherited.socket.fd, backlog: backlog, inherited: true,
                                fromSystemd: inherited.socket.fromSystemd)
            try listener.reapplyBacklog()
            if let mode, let path = address.unixPath {
                // The file at the path may have been swapped since it was bound: a symlink or
                // anything but a socket is refused rather than changed.
                try SocketFile.setMode(mode, atPath: path)
            }
        } else {
            listener = try Listener.bind(address, name: name, backlog: backlog, mode: mode)
        }
        state.withLockedValue { $0.claimed.append(listener) }
        return listener
    }

    /// Closes every inherited socket nobody claimed and returns their addresses.
    /// - Parameter removingFiles: also remove the files of unix sockets that systemd did not
    ///   make; for a generation no predecessor hands over to (one a supervisor restarted),
    ///   since a predecessor removes what its successor dropped itself, once it exits.
    @discardableResult
    public func closeUnclaimed(removingFiles: Bool = false) -> [ListenAddress] {
        let unclaimed = state.withLockedValue { state in
            defer { state.unclaimed.removeAll() }
            return state.unclaimed
        }
        for candidate in unclaimed {
            Posix.close(candidate.socket.fd)
            if removingFiles, !candidate.socket.fromSystemd, let path = candidate.address?.unixPath {
                SocketFile.removeIfSocket(atPath: path)
            }
        }
        return unclaimed.compactMap(\.address)
    }
}
