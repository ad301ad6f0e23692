#if canImport(Glibc)
import Glibc
#endif

/// A listening socket the runtime owns: bound once, handed to servers as duplicates, and
/// (in later generations) inherited rather than bound again.
///
/// The runtime keeps this fd for the life of the process so that a server closing its
/// duplicate only stops accepting: the kernel socket, with its queue of pending
/// connections, lives on for the successor.
public final class Listener: Sendable {
    /// The name used to match the socket across restarts and systemd activation.
    public let name: String?
    /// What the socket is bound to.
    public let address: ListenAddress
    /// The owned fd.
    public let fd: Int32
    /// The `listen(2)` backlog it was given.
    public let backlog: Int32
    /// Whether the socket came from a predecessor or systemd rather than being bound here.
    public let inherited: Bool
    /// Whether systemd made it (see `InheritedSocket.fromSystemd`): its unix socket file
    /// belongs to the socket unit and must outlive this process.
    public let fromSystemd: Bool

    init(name: String?, address: ListenAddress, fd: Int32, backlog: Int32, inherited: Bool = false,
         fromSystemd: Bool = false) {
        self.name = name
        self.address = address
        self.fd = fd
        self.backlog = backlog
        self.inherited = inherited
        self.fromSystemd = fromSystemd
    }

    deinit {
        Posix.close(fd)
    }

    /// Creates, binds and listens on a new socket.
    ///
    /// TCP sockets get `SO_REUSEADDR`; a wildcard address binds `[::]` dual-stack when the
    /// machine has IPv6, else `0.0.0.0`. A unix socket file left by a dead process is
    /// replaced; one that still accepts connections is an error (`EADDRINUSE`), and so is
    /// any file at the path that is not a socket (`EEXIST`): it is never removed. The mode
    /// is set without following symlinks.
    /// - Parameters:
    ///   - mode: permission bits for a unix socket file.
    /// - Throws: `SystemError` naming the call that failed.
    public static func bind(
        _ address: ListenAddress, name: String? = nil, backlog: Int32, mode: UInt32? = nil
    ) throws(SystemError) -> Listener {
        if let path = address.unixPath {
            return try bindUnix(path: path, name: name, backlog: backlog, mode: mode, address: address)
        }
        return try bindTCP(address, name: name, backlog: backlog)
    }

    private static func bindTCP(_ address: ListenAddress, name: String?, backlog: Int32) throws(SystemError) -> Listener {
        let port = UInt16(address.port ?? 0)
        var useIPv6 = address.isIPv6
        var fd: Int32 = -1
        if address.host == nil {
            // Prefer one dual-stack socket for "every interface"; fall back where IPv6 is off.
            fd = socket(AF_INET6, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            useIPv6 = fd >= 0
            if fd >= 0 {
                var off: Int32 = 0
                _ = setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &off, socklen_t(MemoryLayout<Int32>.size))
            }
        }
        if fd < 0 {
            fd = try Posix.call("socket") {
                socket(useIPv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            }
        }
        do throws(SystemError) {
            var one: Int32 = 1
            try Posix.call("setsockopt") {
                setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            }
            if useIPv6 {
                var storage = sockaddr_in6()
                storage.sin6_family = sa_family_t(AF_INET6)
                storage.sin6_port = port.bigEndian
                if let host = address.host { _ = inet_pton(AF_INET6, host, &storage.sin6_addr) }
                try bindSocket(fd, to: storage, length: socklen_t(MemoryLayout<sockaddr_in6>.size))
            } else {
                var storage = sockaddr_in()
                storage.sin_family = sa_family_t(AF_INET)
                storage.sin_port = port.bigEndian
                _ = inet_pton(AF_INET, address.host ?? "0.0.0.0", &storage.sin_addr)
                try bindSocket(fd, to: storage, length: socklen_t(MemoryLayout<sockaddr_in>.size))
            }
            try Posix.call("listen") { Glibc.listen(fd, backlog) }
        } catch {
            Posix.close(fd)
            throw error
        }
        return Listener(name: name, address: address, fd: fd, backlog: backlog)
    }

    private static func bindUnix(
        path: String, name: String?, backlog: Int32, mode: UInt32?, address: ListenAddress
    ) throws(SystemError) -> Listener {
        var storage = sockaddr_un()
        storage.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: storage.sun_path) else {
            throw SystemError(call: "bind", errno: ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &storage.sun_path) { raw in
            raw.copyBytes(from: bytes)
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + 1)
        let fd = try Posix.call("socket") { socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        do throws(SystemError) {
            if let mode {
                // The file takes the socket's mode (less the umask) when bind creates it, so it
                // is never more open than asked, not even until the exact mode is set below.
                try Posix.call("fchmod") { fchmod(fd, mode_t(mode)) }
            }
            do throws(SystemError) {
                try bindSocket(fd, to: storage, length: length)
            } catch let bindError {
                guard bindError.errno == EADDRINUSE else { throw bindError }
                // Only a socket nobody accepts on is replaced: any other file at the path is
                // someone's data (connecting to a regular file is refused too).
                switch SocketFile.kind(atPath: path) {
                case .socket where isStale(storage: storage, length: length):
                    SocketFile.removeIfSocket(atPath: path)
                case .other(let kind):
                    throw SocketFile.notASocket(path, call: "bind", is: kind, action: "refusing to replace it")
                default:
                    throw bindError
                }
                try bindSocket(fd, to: storage, length: length)
            }
            if let mode {
                try SocketFile.setMode(mode, atPath: path)
            }
            try Posix.call("listen") { Glibc.listen(fd, backlog) }
        } catch {
            Posix.close(fd)
            throw error
        }
        return Listener(name: name, address: address, fd: fd, backlog: backlog)
    }

    private static func bindSocket<Address>(_ fd: Int32, to address: Address, length: socklen_t) throws(SystemError) {
        var address = address
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, length) }
        }
        if result != 0 { throw SystemError(call: "bind", errno: errno) }
    }

    /// A socket file nobody accepts on: connecting to it is refused.
    private static func isStale(storage: sockaddr_un, length: socklen_t) -> Bool {
        let probe = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard probe >= 0 else { return false }
        defer { Posix.close(probe) }
        var storage = storage
        let result = withUnsafePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(probe, $0, length) }
        }
        return result != 0 && errno == ECONNREFUSED
    }

    /// Sets the `listen(2)` backlog again: NIO resets it to 128 when it adopts a socket.
    public func reapplyBacklog() throws(SystemError) {
        try Posix.call("listen") { Glibc.listen(fd, backlog) }
    }

    /// A new fd for the same socket, close-on-exec, for a server to own and close.
    public func duplicate() throws(SystemError) -> Int32 {
        try Posix.call("fcntl") { fcntl(fd, F_DUPFD_CLOEXEC, 3) }
    }
}
