#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing
@testable import ZeroDTHTTP

/// What an idle keep-alive connection's own objects hold (issue 14; `Benchmarks/idle.sh`
/// measures the whole). Each is one heap block, and malloc hands out blocks in steps of 16
/// bytes: the connection handler's was 512 bytes while it kept the last request's state,
/// copies of its listener's tables and its flags spread between wider fields.
@Suite struct IdleConnectionFootprintTests {
    private struct Hello: HTTPHandler {
        var allowedMethods: [HTTPMethod]? { nil }

        func respond(to request: HTTPRequest, context: HTTPRequestContext) -> HTTPReply {
            .response(HTTPResponse(status: .ok, text: "hello\n"))
        }
    }

    #if os(Linux)
    /// The connection handler in a block of 256 bytes (it was 512), the request-line monitor
    /// in one of 144 (it was 176).
    @Test func anIdleKeepAliveConnectionsHandlersFitTheirBlocks() throws {
        let channel = EmbeddedChannel()
        let hosts = VirtualHosts(VirtualServer(name: "test", routes: RoutingTable(routes: [.init(path: "/", handler: Hello())])))
        let pipeline = ConnectionPipeline(configuration: HTTPServerConfiguration(), hosts: [hosts], tls: [nil],
                                          logger: Logger(label: "test"))
        try pipeline.configure(channel, listenerIndex: 0)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 8080)).wait()
        try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: test\r\n\r\n"))
        #expect(try channel.outboundText().hasSuffix("hello\n"))

        let handler = try channel.pipeline.syncOperations.handler(type: HTTPConnectionHandler.self)
        // The block's usable size: its size class less malloc's 8-byte header.
        #expect(try Self.heapBlockSize(of: handler) <= 256 - 8)
        let monitor = try channel.pipeline.syncOperations.handler(type: RequestLineMonitor.self)
        #expect(try Self.heapBlockSize(of: monitor) <= 144 - 8)
        _ = try channel.finish()
    }

    /// glibc's `malloc_usable_size` of the block holding `object` (the Glibc module does not
    /// export it, so it is looked up).
    private static func heapBlockSize(of object: AnyObject) throws -> Int {
        typealias UsableSize = @convention(c) (UnsafeMutableRawPointer?) -> Int
        let symbol = try #require(dlsym(dlopen(nil, RTLD_NOW), "malloc_usable_size"))
        return unsafeBitCast(symbol, to: UsableSize.self)(Unmanaged.passUnretained(object).toOpaque())
    }
    #endif
}
