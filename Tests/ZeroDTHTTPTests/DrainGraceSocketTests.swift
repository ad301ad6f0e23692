#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing
@testable import ZeroDTHTTP

/// The drain grace on a real loopback socket, where the kernel, not the test, decides what
/// the handler can still read.
@Suite struct DrainGraceSocketTests {
    /// NIO runs the timers that fell due before it polls the sockets again. So when the event
    /// loop is busy as the grace runs out, the client's next request can already sit in the
    /// socket, unread, when the grace timer fires: it must be answered, not reset.
    @Test(.timeLimit(.minutes(1))) func requestUnreadWhenTheGraceEndsIsAnswered() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let configuration = {
            var configuration = HTTPServerConfiguration()
            configuration.drainGrace = .milliseconds(200)
            return configuration
        }()
        let routes = RoutingTable(routes: [.init(path: "/", handler: FixedResponseHandler(
            status: 200, body: "hello\n", contentType: "text/plain"))])
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
        defer { try? server.close().wait() }

        let client = try BlockingClient(port: server.localAddress!.port!)
        try client.send("GET /a HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try client.readResponse().hasPrefix("HTTP/1.1 200 OK\r\n"))
        let connection = try #require(accepted.withLockedValue { $0 })
        // Nothing waits in the socket of an idle connection: no false alarm keeps it open.
        #expect(try connection.eventLoop.submit { HTTPConnectionHandler.hasUnreadInput(connection) }.wait() == false)

        // Drain, then hold the event loop from shortly before the grace ends until the next
        // request is in the socket and the grace is over: the grace timer then runs in the
        // same loop tick, before any poll could read the request.
        let blocking = DispatchSemaphore(value: 0)
        let sent = DispatchSemaphore(value: 0)
        try connection.eventLoop.submit {
            let graceOver = NIODeadline.now() + .milliseconds(250)
            connection.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
            connection.eventLoop.scheduleTask(deadline: graceOver - .milliseconds(150)) {
                blocking.signal()
                sent.wait()
                // Bounded: a wait that never ends would wedge the loop, and the test with it.
                let giveUp = graceOver + .seconds(2)
                while !(HTTPConnectionHandler.hasUnreadInput(connection) && NIODeadline.now() >= graceOver),
                      NIODeadline.now() < giveUp {
                    sched_yield()
                }
            }
        }.wait()
        blocking.wait()
        try client.send("GET /b HTTP/1.1\r\nHost: t\r\n\r\n")
        sent.signal()
        let response = try client.readResponse()
        #expect(response.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(response.lowercased().contains("connection: close\r\n"))
    }
}

/// Just enough of a blocking HTTP client for one connection, every read bounded.
private final class BlockingClient {
    struct Failure: Error { var reason: String }
    private let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
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
        var chunk = [UInt8](repeating: 0, count: 4096)
        while !String(decoding: received, as: UTF8.self).hasSuffix("\r\n\r\nhello\n") {
            let count = recv(fd, &chunk, chunk.count, 0)
            if count == 0 { throw Failure(reason: "end of file after \(received.count) bytes") }
            if count < 0 { throw Failure(reason: errno == ECONNRESET ? "connection reset" : "recv: errno \(errno)") }
            received += chunk[..<count]
        }
        return String(decoding: received, as: UTF8.self)
    }
}
