import Foundation

/// Free ports on the loopback interface, for servers a test starts.
enum LoopbackPort {
    /// A port that was free a moment ago: the kernel picks it for a socket bound to port 0,
    /// which is then closed. Another process may take it in between; ports are drawn from
    /// the ephemeral range at random, so that is rare.
    /// - Parameter host: `127.0.0.1` or `::1`.
    static func free(host: String = "127.0.0.1") throws -> Int {
        let socket = try ListeningTestSocket(host: host, port: 0)
        return socket.port
    }
}

/// A TCP socket listening on loopback, to occupy a port or to learn a free one.
final class ListeningTestSocket {
    private let fd: Int32
    let port: Int

    init(host: String, port: Int) throws {
        let v6 = host.contains(":")
        let fd = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw HTTPTestClientError.system(call: "socket", errno: errno) }
        var result: Int32
        if v6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = in_port_t(UInt16(port).bigEndian)
            inet_pton(AF_INET6, host, &address.sin6_addr)
            result = withUnsafePointer(to: address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            inet_pton(AF_INET, host, &address.sin_addr)
            result = withUnsafePointer(to: address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        if result == 0 { result = listen(fd, 8) }
        guard result == 0 else {
            let error = errno
            Glibc.close(fd)
            throw HTTPTestClientError.system(call: "bind", errno: error)
        }
        var bound = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &bound) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        // The port sits at the same offset in sockaddr_in and sockaddr_in6.
        let networkPort = withUnsafeBytes(of: bound) { $0.load(fromByteOffset: 2, as: UInt16.self) }
        self.fd = fd
        self.port = Int(UInt16(bigEndian: networkPort))
    }

    deinit { Glibc.close(fd) }
}
