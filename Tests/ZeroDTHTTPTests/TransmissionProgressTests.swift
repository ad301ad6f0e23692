#if canImport(Glibc)
import Glibc
#endif
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOPosix
import Testing
@testable import ZeroDTHTTP

/// What the write deadline asks the kernel, on a real loopback socket: a connection that
/// sent its client data the client acknowledged within the interval made progress; one
/// that sent nothing for longer did not; a channel with no socket knows nothing. The next
/// judgement counts from the last progress.
@Suite struct TransmissionProgressTests {
    private static func progress(of channel: any Channel, within interval: TimeAmount) throws -> Bool {
        let result = channel.eventLoop.makePromise(of: Bool.self)
        channel.eventLoop.execute {
            TransmissionProgress.check(channel) {
                result.succeed(TransmissionProgress.remaining(of: interval, sinceProgress: $0) != nil)
            }
        }
        return try result.futureResult.wait()
    }

    @Test(.timeLimit(.minutes(1))) func dataSentAndAcknowledgedLatelyIsProgressAndSilenceIsNot() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let routes = RoutingTable(routes: [.init(path: "/", handler: FixedResponseHandler(
            status: 200, body: "hello\n", contentType: "text/plain"))])
        let (server, accepted) = try LoopbackServer.start(group: group, routes: routes)
        defer { try? server.close().wait() }
        let client = try BlockingClient(port: server.localAddress!.port!)
        try client.send("GET /a HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try client.readResponse().hasPrefix("HTTP/1.1 200 OK\r\n"))
        let connection = try #require(accepted.withLockedValue { $0 })
        let answered = NIODeadline.now()
        // The client has read the answer, so its stack acknowledged it: both within a minute.
        #expect(try Self.progress(of: connection, within: .minutes(1)))
        // The kernel counts in milliseconds: once 20 have passed with nothing sent, an
        // interval of 10 saw no progress.
        while NIODeadline.now() < answered + .milliseconds(20) { usleep(1_000) }
        #expect(try Self.progress(of: connection, within: .milliseconds(10)) == false)
    }

    @Test func aChannelWithoutASocketKnowsOfNoProgress() throws {
        let channel = EmbeddedChannel()
        var sinceProgress: TimeAmount? = .zero
        TransmissionProgress.check(channel) { sinceProgress = $0 }
        #expect(sinceProgress == nil)
        #expect(TransmissionProgress.remaining(of: .minutes(1), sinceProgress: nil) == nil)
    }

    @Test func theNextJudgementCountsFromTheLastProgress() {
        #expect(TransmissionProgress.remaining(of: .seconds(30), sinceProgress: .seconds(29)) == .seconds(1))
        #expect(TransmissionProgress.remaining(of: .seconds(30), sinceProgress: .zero) == .seconds(30))
        #expect(TransmissionProgress.remaining(of: .seconds(30), sinceProgress: .seconds(30)) == nil)
    }
}
