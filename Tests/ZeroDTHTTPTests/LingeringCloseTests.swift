import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import Testing
@testable import ZeroDTHTTP

/// A close shuts the output first and closes the socket only once the client has everything,
/// has closed its side, or has had `maximumLinger`; what the client sends meanwhile is dropped.
@Suite struct LingeringCloseTests {
    /// Stands in for the socket: takes output half-closes, which an `EmbeddedChannel` refuses.
    final class Socket: ChannelOutboundHandler, RemovableChannelHandler {
        typealias OutboundIn = NIOAny
        var outputCloses = 0
        func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
            guard mode == .output else { return context.close(mode: mode, promise: promise) }
            outputCloses += 1
            promise?.succeed()
        }
    }

    /// What the handlers above the lingering close are given.
    final class Reads: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        var count = 0
        func channelRead(context: ChannelHandlerContext, data: NIOAny) { count += 1 }
    }

    /// The kernel's answers, in turn; `then` (under way unless given) once they run out.
    final class Deliveries: Sendable {
        private let answers: NIOLockedValueBox<[LingeringClose.Delivery]>
        private let last: LingeringClose.Delivery
        init(_ answers: [LingeringClose.Delivery], then last: LingeringClose.Delivery = .underWay) {
            self.answers = NIOLockedValueBox(answers)
            self.last = last
        }
        func check(_ channel: any Channel) -> EventLoopFuture<LingeringClose.Delivery> {
            let answer = answers.withLockedValue { $0.isEmpty ? last : $0.removeFirst() }
            return channel.eventLoop.makeSucceededFuture(answer)
        }
    }

    /// How long ago the client last made progress, in turn for each judgement; nothing known
    /// once they run out.
    final class Progress {
        var answers: [TimeAmount]
        var asked = 0
        init(_ answers: [TimeAmount]) { self.answers = answers }
        func check(_ channel: any Channel, _ body: @escaping (TimeAmount?) -> Void) {
            asked += 1
            body(answers.isEmpty ? nil : answers.removeFirst())
        }
    }

    static let maximumLinger = TimeAmount.seconds(30)

    static func channel(_ deliveries: Deliveries, talksWhileReading: Bool = false,
                        progress: Progress = Progress([])) throws -> (EmbeddedChannel, Socket, Reads) {
        let socket = Socket()
        let reads = Reads()
        let channel = EmbeddedChannel()
        let lingering = LingeringClose(maximumLinger: maximumLinger, isDelivered: { deliveries.check($0) },
                                       madeProgress: progress.check)
        lingering.clientTalksWhileReading = talksWhileReading
        try channel.pipeline.syncOperations.addHandlers(socket, lingering, reads)
        channel.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 80), promise: nil)
        return (channel, socket, reads)
    }

    @Test func theSocketClosesOnceTheClientHasAcknowledgedEverything() throws {
        let (channel, socket, reads) = try Self.channel(Deliveries([.underWay, .underWay, .delivered]))
        let closed = channel.eventLoop.makePromise(of: Void.self)
        channel.close(promise: closed)
        var completed = false
        closed.futureResult.assumeIsolated().whenSuccess { completed = true }
        #expect(socket.outputCloses == 1)
        #expect(channel.isActive, "the client has not acknowledged the FIN yet")
        #expect(reads.count == 0)
        channel.embeddedEventLoop.advanceTime(by: LingeringClose.firstCheckInterval)
        #expect(channel.isActive)
        // The checks back off: the next one is twice as far.
        channel.embeddedEventLoop.advanceTime(by: LingeringClose.firstCheckInterval)
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: LingeringClose.firstCheckInterval)
        #expect(!channel.isActive, "a client that has said nothing since is not waited for")
        #expect(completed)
    }

    /// Acknowledged is not read: a client that sends while it reads (WINDOW_UPDATE frames)
    /// may still be reading what it has acknowledged, and what it sends after a close would
    /// be answered with a reset. It keeps its socket until it closes its side.
    @Test func aClientThatSendsWhileLingeringKeepsItsSocketUntilItClosesItsSide() throws {
        let (channel, _, reads) = try Self.channel(Deliveries([.underWay], then: .delivered))
        channel.close(promise: nil)
        try channel.writeInbound(ByteBuffer(string: "WINDOW_UPDATE"))
        #expect(reads.count == 0, "dropped while lingering")
        channel.embeddedEventLoop.advanceTime(by: LingeringClose.firstCheckInterval)
        #expect(channel.isActive, "everything is acknowledged, but the client has sent meanwhile")
        channel.embeddedEventLoop.advanceTime(by: .seconds(10))
        #expect(channel.isActive, "silent for long: still perhaps reading")
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(!channel.isActive)
    }

    @Test func anHTTP2ClientIsWaitedForEvenBeforeItSendsUpToTheMaximumLinger() throws {
        let (channel, _, _) = try Self.channel(Deliveries([], then: .delivered), talksWhileReading: true)
        channel.close(promise: nil)
        channel.embeddedEventLoop.advanceTime(by: LingeringClose.firstCheckInterval)
        #expect(channel.isActive, "it answers what it reads, and may not have read it yet")
        channel.embeddedEventLoop.advanceTime(by: Self.maximumLinger - .milliseconds(10))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(10))
        #expect(!channel.isActive)
    }

    @Test func anHTTP2ClientThatClosesItsSideEndsTheWaitAtOnce() throws {
        let (channel, _, _) = try Self.channel(Deliveries([], then: .delivered), talksWhileReading: true)
        channel.close(promise: nil)
        channel.embeddedEventLoop.advanceTime(by: LingeringClose.firstCheckInterval)
        #expect(channel.isActive)
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(!channel.isActive)
    }

    /// The linger is judged by progress, as the write timeout is: a slow but steady reader
    /// still taking the last MiBs keeps its socket past `maximumLinger`, and is cut once it
    /// has made none for that long.
    @Test func aClientStillTakingItsAnswerKeepsItsSocketUntilItStalls() throws {
        let progress = Progress([.zero, .zero])
        let (channel, _, _) = try Self.channel(Deliveries([]), progress: progress)
        channel.close(promise: nil)
        channel.embeddedEventLoop.advanceTime(by: Self.maximumLinger * 2)
        #expect(channel.isActive, "still taking its answer")
        #expect(progress.asked == 2)
        channel.embeddedEventLoop.advanceTime(by: Self.maximumLinger - .milliseconds(1))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        #expect(!channel.isActive, "no progress for the maximum linger")
    }

    /// The maximum linger counts from the client's last progress, not from the judgement
    /// that saw it: the tail of an answer the kernel sent just after the close does not buy
    /// a client that took nothing more another whole linger (hostile finding F1: a client
    /// that sent a byte now and then kept its socket for twice `timeouts.write`).
    @Test func theLingerEndsTheMaximumAfterTheLastProgress() throws {
        let progress = Progress([Self.maximumLinger - .seconds(1)])
        let (channel, _, _) = try Self.channel(Deliveries([]), progress: progress)
        channel.close(promise: nil)
        channel.embeddedEventLoop.advanceTime(by: Self.maximumLinger)
        #expect(channel.isActive, "it took the tail a second after the close")
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive, "nothing since: cut a maximum linger after its last progress")
        #expect(progress.asked == 2)
    }

    /// Once the client has shown it has read everything (an HTTP/2 PING's answer), the wait
    /// ends as soon as the kernel has delivered the rest, however much the client talks.
    @Test func aClientThatHasReadEverythingIsNotWaitedForPastDelivery() throws {
        let (channel, _, _) = try Self.channel(Deliveries([.underWay], then: .delivered), talksWhileReading: true)
        channel.pipeline.triggerUserOutboundEvent(LingeringClose.ClientHasRead(), promise: nil)
        channel.close(promise: nil)
        try channel.writeInbound(ByteBuffer(string: "close_notify"))
        #expect(channel.isActive, "its FIN is not acknowledged yet")
        channel.embeddedEventLoop.advanceTime(by: LingeringClose.firstCheckInterval)
        #expect(!channel.isActive)
    }

    @Test func aClientThatIsGoneIsNotWaitedFor() throws {
        let (channel, _, _) = try Self.channel(Deliveries([.underWay, .gone]))
        channel.close(promise: nil)
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: LingeringClose.firstCheckInterval)
        #expect(!channel.isActive)
    }

    @Test func theClientsEndOfInputClosesALingeringConnection() throws {
        let (channel, _, _) = try Self.channel(Deliveries([]))
        channel.close(promise: nil)
        #expect(channel.isActive)
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(!channel.isActive)
    }

    @Test func aClientThatNeverTakesItsAnswerIsGivenTheMaximumLinger() throws {
        let (channel, _, _) = try Self.channel(Deliveries([]))
        channel.close(promise: nil)
        channel.embeddedEventLoop.advanceTime(by: Self.maximumLinger - .milliseconds(1))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: LingeringClose.longestCheckInterval)
        #expect(!channel.isActive)
    }

    @Test func aCloseAtTheDrainsDeadlineDoesNotLinger() throws {
        let (channel, socket, _) = try Self.channel(Deliveries([]))
        channel.pipeline.triggerUserOutboundEvent(LingeringClose.CloseAtOnce(), promise: nil)
        channel.close(promise: nil)
        #expect(!channel.isActive)
        #expect(socket.outputCloses == 0)
    }

    @Test func theDrainsDeadlineEndsALingerUnderWay() throws {
        let (channel, _, _) = try Self.channel(Deliveries([]))
        channel.close(promise: nil)
        #expect(channel.isActive)
        channel.pipeline.triggerUserOutboundEvent(LingeringClose.CloseAtOnce(), promise: nil)
        #expect(!channel.isActive)
    }

    @Test func aCloseThatLeavesMoreThanTheHighWaterMarkUnwrittenDoesNotLinger() throws {
        let (channel, socket, _) = try Self.channel(Deliveries([]))
        channel.isWritable = false
        channel.close(promise: nil)
        #expect(!channel.isActive)
        #expect(socket.outputCloses == 0)
    }

    @Test func aSecondCloseCompletesWhenTheSocketCloses() throws {
        let (channel, _, _) = try Self.channel(Deliveries([]))
        channel.close(promise: nil)
        let second = channel.eventLoop.makePromise(of: Void.self)
        channel.close(promise: second)
        var completed = false
        second.futureResult.assumeIsolated().whenComplete { _ in completed = true }
        #expect(!completed, "the socket still lingers")
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(completed)
    }

    @Test func aClientThatClosedItsSideFirstIsNotWaitedFor() throws {
        let (channel, socket, _) = try Self.channel(Deliveries([]))
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(channel.isActive, "a half-closed client still gets its answer")
        channel.close(promise: nil)
        #expect(!channel.isActive)
        #expect(socket.outputCloses == 0)
    }
}
