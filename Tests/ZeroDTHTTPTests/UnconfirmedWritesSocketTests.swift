import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing
@testable import ZeroDTHTTP

/// On a plain connection a response with a body of bytes goes out without a write promise:
/// the flush tells whether the socket took it (`HTTPConnectionHandler.confirmWrites`),
/// whether the body shares the head's buffer (4,000 bytes) or follows it as its own
/// (20,000). A client that pipelines far more than the socket buffers hold and reads only
/// later still gets every answer, whole and in order, and the connection serves on.
@Suite struct UnconfirmedWritesSocketTests {
    @Test(.timeLimit(.minutes(1)), arguments: [(4000, 3000), (20000, 600)])
    func thousandsOfPipelinedAnswersArriveWholeAndInOrder(size: Int, requests: Int) throws {
        let body = String(repeating: "b", count: size)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let routes = RoutingTable(routes: [.init(path: "/", handler: FixedResponseHandler(
            status: 200, body: body, contentType: "text/plain"))])
        let (server, _) = try LoopbackServer.start(group: group, routes: routes)
        defer { try? server.close().wait() }
        let port = server.localAddress!.port!

        // One answer alone, for its size: every answer has the same.
        var one: [UInt8] = []
        let single = try BlockingClient(port: port)
        try single.send("GET /0 HTTP/1.1\r\nHost: t\r\n\r\n")
        try single.receive(into: &one) { String(decoding: $0, as: UTF8.self).hasSuffix(body) }

        let client = try BlockingClient(port: port, receiveBuffer: 16 << 10)
        try client.send(String(repeating: "GET /a HTTP/1.1\r\nHost: t\r\n\r\n", count: requests))
        var received: [UInt8] = []
        let total = requests * one.count
        try client.receive(into: &received) { $0.count >= total }
        #expect(received.count == total)
        let text = String(decoding: received, as: UTF8.self)
        #expect(text.components(separatedBy: "HTTP/1.1 200 OK\r\n").count - 1 == requests)
        #expect(text.hasSuffix(body))
        try client.send("GET /last HTTP/1.1\r\nHost: t\r\n\r\n")
        var last: [UInt8] = []
        try client.receive(into: &last) { $0.count >= one.count }
        #expect(String(decoding: last, as: UTF8.self).hasPrefix("HTTP/1.1 200 OK\r\n"))
    }
}
