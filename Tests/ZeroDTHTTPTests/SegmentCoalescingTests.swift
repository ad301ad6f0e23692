#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOEmbedded
import NIOPosix
import Testing
@testable import ZeroDTHTTP

/// `TCP_CORK` around responses sent with `sendfile`, on a real loopback socket.
@Suite struct SegmentCoalescingTests {
    /// Set while a file response is on its way (the head then shares the file's first
    /// segment), lifted once its last byte is written, so its tail leaves at once.
    @Test(.timeLimit(.minutes(1))) func aFileResponseIsCorkedUntilItsLastByteIsWritten() throws {
        let tree = try TemporaryTree()
        // Far more than a small receive window and the sender's buffer take: the write waits.
        let size = 16 << 20
        try tree.file("big.bin", [UInt8](repeating: 0x61, count: size))
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let routes = RoutingTable(routes: [.init(path: "/", handler: try StaticFileHandler(root: tree.path))])
        let (server, accepted) = try LoopbackServer.start(group: group, routes: routes)
        defer { try? server.close().wait() }

        let client = try BlockingClient(port: server.localAddress!.port!, receiveBuffer: 4096)
        try client.send("GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n")
        var received: [UInt8] = []
        try client.receive(into: &received) { $0.count >= 1 }
        let connection = try #require(accepted.withLockedValue { $0 })
        #expect(try corked(connection), "corked while the file is sent")

        try client.receive(into: &received) { bytes in
            guard let headEnd = bytes.firstRange(of: Array("\r\n\r\n".utf8)) else { return false }
            return bytes.count - headEnd.upperBound >= size
        }
        #expect(String(decoding: received.prefix(15), as: UTF8.self) == "HTTP/1.1 200 OK")
        #expect(try corked(connection) == false, "uncorked once written")

        // A small response is not corked: it goes out in one write anyway.
        try tree.file("small.txt", "hello\n")
        try client.send("GET /small.txt HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try client.readResponse().hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(try corked(connection) == false)
    }

    /// Where there is no socket, nothing traps.
    @Test func withoutASocketNothingHappens() throws {
        let channel = EmbeddedChannel()
        SegmentCoalescing.set(true, on: channel)
        SegmentCoalescing.set(false, on: channel)
        _ = try channel.finish()
    }

    /// `TCP_CORK` of the connection's socket, read on its event loop.
    private func corked(_ connection: any Channel) throws -> Bool {
        try connection.eventLoop.submit {
            let option = ChannelOptions.Types.SocketOption(level: .tcp, name: NIOBSDSocket.Option(rawValue: TCP_CORK))
            return try connection.syncOptions!.getOption(option) != 0
        }.wait()
    }
}
