import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing
@testable import ZeroDTHTTP

/// A plain HTTP/1 connection as `ConnectionPipeline` builds it: its `LingeringClose` comes
/// into the pipeline only when the connection handler closes the connection, so that an
/// idle connection does not carry it.
@Suite struct PlainConnectionLingeringTests {
    private struct Hello: HTTPHandler {
        var allowedMethods: [HTTPMethod]? { nil }

        func respond(to request: HTTPRequest, context: HTTPRequestContext) -> HTTPReply {
            .response(HTTPResponse(status: .ok, text: "hello\n"))
        }
    }

    private let channel = EmbeddedChannel()

    init() throws {
        let hosts = VirtualHosts(VirtualServer(name: "test", routes: RoutingTable(routes: [.init(path: "/", handler: Hello())])))
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
}
