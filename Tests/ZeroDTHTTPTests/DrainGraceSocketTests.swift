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
        let (server, accepted) = try LoopbackServer.start(group: group, configuration: configuration, routes: routes)
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
