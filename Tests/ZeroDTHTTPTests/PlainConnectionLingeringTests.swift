import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing
@testable import ZeroDTHTTP

/// A plain HTTP/1 connection as `ConnectionPipeline` builds it: its `LingeringClose` comes
/// into the pipeline only when the connection handler closes the connection, so that an
/// idle connection does not carry it; and what its handlers hold while it is idle.
@Suite struct PlainConnectionLingeringTests {
    private let channel = EmbeddedChannel()

    init() throws {
        let hosts = VirtualHosts(VirtualServer(name: "test", routes: RoutingTable(routes: [.init(path: "/", handler: HelloHandler())])))
        let pipeline = ConnectionPipeline(configuration: HTTPServerConfiguration(), hosts: [hosts], tls: [nil],
                                          logger: Logger(label: "test"))
        try pipeline.configure(channel, listenerIndex: 0)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 8080)).wait()
    }

    private var hasLingeringClose: Bool {
        (try? channel.pipeline.syncOperations.handler(type: LingeringClose.self)) != nil
    }

    @Test func anIdleKeepAliveConnectionHasNone() throws {
        #expect(!hasLingeringClose)
        try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: test\r\n\r\n"))
        #expect(try channel.outboundText().hasSuffix("hello\n"))
        #expect(channel.isActive)
        #expect(!hasLingeringClose)
    }

    @Test func theHandlerAddsOneWhenItCloses() throws {
        try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"))
        #expect(try channel.outboundText().hasSuffix("hello\n"))
        #expect(!channel.isActive)
        // The embedded channel takes its handlers out only when its loop next runs.
        #expect(hasLingeringClose)
        channel.embeddedEventLoop.run()
    }

    #if os(Linux)
    /// What an idle keep-alive connection's own objects hold (issue 14; `Benchmarks/idle.sh`
    /// measures the whole). Each is one heap block, and malloc hands them out in steps of 16
    /// bytes, 8 of a block going to its header: the connection handler's was 512 bytes while
    /// it kept the last request's state, copies of its listener's tables and its flags
    /// between wider fields, the monitor's 176.
    @Test func anIdleConnectionsHandlersFitTheirHeapBlocks() throws {
        try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: test\r\n\r\n"))
        #expect(try channel.outboundText().hasSuffix("hello\n"))
        let handler = try channel.pipeline.syncOperations.handler(type: HTTPConnectionHandler.self)
        #expect(Self.instanceSize(of: handler) <= 256 - 8)
        let monitor = try channel.pipeline.syncOperations.handler(type: RequestLineMonitor.self)
        #expect(Self.instanceSize(of: monitor) <= 144 - 8)
    }

    /// The bytes Swift allocates for `object`: the instance size in its class's metadata
    /// (a 32-bit field after the kind, the superclass, the flags and the instance address
    /// point where there is no Objective-C interoperability). Not the block's usable size
    /// (`malloc_usable_size`), which is up to 16 bytes more when malloc hands out a free
    /// block it would not split, as it can in the middle of a test run.
    private static func instanceSize(of object: AnyObject) -> Int {
        let metadata = unsafeBitCast(type(of: object), to: UnsafeRawPointer.self)
        return Int(metadata.load(fromByteOffset: 24, as: UInt32.self))
    }
    #endif
}
