#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
@testable import ZeroDTHTTP

/// An HTTP/1 server on a real loopback socket, for what only the kernel can show.
enum LoopbackServer {
    /// Binds to 127.0.0.1 on a free port; the box holds the last connection accepted.
    static func start(group: any EventLoopGroup, configuration: HTTPServerConfiguration = HTTPServerConfiguration(),
                      routes: RoutingTable) throws -> (server: any Channel, accepted: NIOLockedValueBox<(any Channel)?>)
    {
        let accepted = NIOLockedValueBox<(any Channel)?>(nil)
        let server = try ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let monitor = RequestLineMonitor()
                    try channel.pipeline.syncOperations.addHandlers([
                        monitor,
                        ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)),
                        HTTPConnectionHandler(configuration: configuration, routes: routes, serverName: "test",
                                              monitor: monitor, accessLog: nil, logger: Logger(label: "test")),
                    ])
                    accepted.withLockedValue { $0 = channel }
                }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
        return (server, accepted)
    }
}

/// Just enough of a blocking HTTP client for one connection, every read bounded.
final class BlockingClient {
    struct Failure: Error { var reason: String }
    private let fd: Int32

    /// Connects to 127.0.0.1:`port`; a `receiveBuffer` (bytes) keeps the kernel from taking
    /// in much more than the client reads.
    init(port: Int, receiveBuffer: Int32? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { throw Failure(reason: "connect: errno \(errno)") }
    }

    deinit { close(fd) }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard Glibc.send(fd, bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count else {
            throw Failure(reason: "send: errno \(errno)")
        }
    }

    /// Reads one response whose body is "hello\n".
    func readResponse() throws -> String {
        var received: [UInt8] = []
        try receive(into: &received) { String(decoding: $0, as: UTF8.self).hasSuffix("\r\n\r\nhello\n") }
        return String(decoding: received, as: UTF8.self)
    }

    /// Reads, appending to `received`, until `isComplete` says it is.
    func receive(into received: inout [UInt8], until isComplete: ([UInt8]) -> Bool) throws {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while !isComplete(received) {
            let count = recv(fd, &chunk, chunk.count, 0)
            if count == 0 { throw Failure(reason: "end of file after \(received.count) bytes") }
            if count < 0 { throw Failure(reason: errno == ECONNRESET ? "connection reset" : "recv: errno \(errno)") }
            received += chunk[..<count]
        }
    }
}
