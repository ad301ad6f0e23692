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
    public init(inherited: [InheritedSocket]) {
        let candidates = inherited.map { socket in
            _ = fcntl(socket.fd, F_SETFD, FD_CLOEXEC)
            return Candidate(socket: socket, address: SocketName.listenAddress(of: socket.fd))
        }
        state = NIOLockedValueBox(State(unclaimed: candidates))
    }

    /// The listeners claimed so far, in order.
    public var claimed: [Listener] { state.withLockedValue { $0.claimed } }

    /// Inherited sockets nobody has claimed: their names, else addresses, for messages.
    public var unclaimedDescriptions: [String] {
        state.withLockedValue { state in
            state.unclaimed.map { $0.socket.name ?? $0.address.map { "\($0)" } ?? "fd \($0.socket.fd)" }
        }
    }

    /// The listener for `address`: an inherited socket named `name` (or `alternateName`,
    /// e.g. the server's name for systemd units), else one bound to the same address,
    /// else a newly bound socket.
    /// - Throws: `SystemError` when binding fails.
    public func claim(_ address: ListenAddress, name: String?, alternateName: String? = nil,
                      backlog: Int32, mode: UInt32?) throws(SystemError) -> Listener {
        let inherited = state.withLockedValue { state -> Candidate? in
            let index = state.unclaimed.firstIndex { name != nil && $0.socket.name == name }
                ?? state.unclaimed.firstIndex { $0.address.map { $0.isSameSocket(as: address) } ?? false }
                ?? state.unclaimed.firstIndex { alternateName != nil && $0.socket.name == alternateName }
            return index.map { state.unclaimed.remove(at: $0) }
        }
        let listener: Listener
        if let inherited {
            listener = Listener(name: name, address: inherited.address ?? address, fd: inherited.socket.fd,
                                backlog: backlog, inherited: true)
            try listener.reapplyBacklog()
            if let mode, let path = address.unixPath {
                try Posix.call("chmod") { chmod(path, mode_t(mode)) }
            }
        } else {
            listener = try Listener.bind(address, name: name, backlog: backlog, mode: mode)
        }
        state.withLockedValue { $0.claimed.append(listener) }
        return listener
    }

    /// Closes every inherited socket nobody claimed and returns their addresses.
    @discardableResult
    public func closeUnclaimed() -> [ListenAddress] {
        let unclaimed = state.withLockedValue { state in
            defer { state.unclaimed.removeAll() }
            return state.unclaimed
        }
        unclaimed.forEach { Posix.close($0.socket.fd) }
        return unclaimed.compactMap(\.address)
    }
}
