#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing
import ZeroDT
@testable import ZeroDTHTTP

/// Request heads longer than the receive buffer a connection keeps (`ReceiveBufferSizing`),
/// through `NIOServer` and a plain connection's pipeline on a real socket: they are answered,
/// and the connection still reads a short head into its small kept buffer afterwards.
@Suite struct LongRequestHeadSocketTests {
    /// First in the connection's pipeline: the size of the buffer each read came in, and how
    /// many bytes it brought.
    private final class ReadRecorder: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer
        let reads = NIOLockedValueBox<[(capacity: Int, bytes: Int)]>([])

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            reads.withLockedValue { $0.append((buffer.capacity, buffer.readableBytes)) }
            context.fireChannelRead(data)
        }

        var bytesRead: Int { reads.withLockedValue { $0.reduce(0) { $0 + $1.bytes } } }
    }

    /// A GET of / whose head is `length` bytes long, padded with a cookie.
    private static func head(length: Int) -> String {
        let bare = "GET / HTTP/1.1\r\nHost: test\r\n\r\n"
        let cookie = "Cookie: " + String(repeating: "c", count: length - bare.utf8.count - "Cookie: \r\n".utf8.count)
        return "GET / HTTP/1.1\r\nHost: test\r\n\(cookie)\r\n\r\n"
    }

    /// Serves `body` on a NIOServer with one plain listener on 127.0.0.1, each connection's
    /// reads recorded by `recorder`, and a client connected to it.
    private static func withServer(_ body: (BlockingClient, ReadRecorder) throws -> Void) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let recorder = ReadRecorder()
        let hosts = VirtualHosts(VirtualServer(name: "test", routes: RoutingTable(routes: [.init(path: "/", handler: HelloHandler())])))
        var configuration = HTTPServerConfiguration()
        // A head sent in pieces arrives as fast as the test runs, which a busy machine can make
        // slower than the default `read_header` timeout.
        configuration.readHeaderTimeout = .seconds(60)
        let pipeline = ConnectionPipeline(configuration: configuration, hosts: [hosts], tls: [nil],
                                          logger: Logger(label: "test"))
        let listener = try Listener.bind(.tcp(host: "127.0.0.1", port: 0), backlog: 8)
        let server = NIOServer(listeners: [listener], group: group) { index, channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(recorder)
                try pipeline.configure(channel, listenerIndex: index)
            }
        }
        try await server.start()
        server.startAccepting()
        do {
            try body(try BlockingClient(port: try port(of: listener)), recorder)
        } catch {
            await server.stopAccepting()
            try await group.shutdownGracefully()
            throw error
        }
        await server.stopAccepting()
        try await group.shutdownGracefully()
    }

    private static func port(of listener: Listener) throws -> Int {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let result = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener.fd, $0, &length) }
        }
        try #require(result == 0)
        return Int(UInt16(bigEndian: address.sin_port))
    }

    @Test func browserSizedHeadsAreAnsweredAndTheConnectionKeepsItsSmallBuffer() async throws {
        try await Self.withServer { client, recorder in
            for length in [700, 6 * 1024, 700] {
                try client.send(Self.head(length: length))
                #expect(try client.readResponse().hasPrefix("HTTP/1.1 200 OK\r\n"), "\(length)-byte head")
            }
            // The first short head after long ones still gets a large buffer; the second one
            // is back in the kept buffer.
            for _ in 0..<2 {
                try client.send("GET / HTTP/1.1\r\nHost: test\r\n\r\n")
                #expect(try client.readResponse().hasPrefix("HTTP/1.1 200 OK\r\n"))
            }
            let reads = recorder.reads.withLockedValue { $0 }
            #expect(reads.first?.capacity == ReceiveBufferSizing.keptSize)
            // The short head after the long ones went into a buffer of the kept size: NIO did not
            // grow the connection's buffer to the reads before it.
            #expect(reads.last?.capacity == ReceiveBufferSizing.keptSize)
            #expect(reads.allSatisfy { $0.capacity == ReceiveBufferSizing.keptSize || $0.capacity >= ReceiveBufferSizing.largeSize })
            // A 700-byte head takes two reads on a new connection, then one; a 6 KiB head three.
            #expect(reads.count <= 2 + 3 + 1 + 2, "\(reads)")
        }
    }

    /// Each piece is sent once the server has read the one before, so each is a read of its own:
    /// past the monitor's few partial reads, the head goes to NIO's decoder.
    @Test func aHeadSplitAcrossManyReadsIsAnswered() async throws {
        try await Self.withServer { client, recorder in
            let head = Array(Self.head(length: 700).utf8)
            var sent = 0
            for piece in stride(from: 0, to: head.count, by: 35).map({ Array(head[$0..<min($0 + 35, head.count)]) }) {
                try client.send(String(decoding: piece, as: UTF8.self))
                sent += piece.count
                // Waited for on this thread: a task's sleep can end late while blocking
                // tests hold the pool's threads.
                let deadline = ContinuousClock.now + .seconds(10)
                while recorder.bytesRead < sent {
                    try #require(ContinuousClock.now < deadline, "the server read \(recorder.bytesRead) of \(sent) bytes")
                    usleep(1_000)
                }
            }
            #expect(try client.readResponse().hasPrefix("HTTP/1.1 200 OK\r\n"))
            #expect(recorder.reads.withLockedValue { $0.count } == 20)
            try client.send("GET / HTTP/1.1\r\nHost: test\r\n\r\n")
            #expect(try client.readResponse().hasPrefix("HTTP/1.1 200 OK\r\n"))
        }
    }
}
