import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import Testing
@testable import ZeroDTHTTP

/// A plain connection's channel turns unwritable with any byte unwritten
/// (`HTTPConnectionHandler.confirmingWaterMark`), which is how its handler tells that a
/// response written without a promise is out; its `LingeringClose` then counts the
/// unwritten bytes to decide whether a close abandons the answer, as NIO's default
/// high-water mark did through writability.
@Suite struct WritabilityConfirmationTests {
    @Test func aConnectionWhoseWritesReachTheSocketGetsTheOneByteWaterMark() throws {
        let channel = EmbeddedChannel()
        defer { _ = try? channel.finish() }
        try channel.addConnectionHandlers(configuration: HTTPServerConfiguration(),
                                          handler: FixedResponseHandler(status: 200, body: "hi", contentType: "text/plain"),
                                          accessLog: NIOLockedValueBox([]), logger: Logger(label: "test"))
        let marks = try channel.getOption(.writeBufferWaterMark).wait()
        #expect(marks.low == 1 && marks.high == 1)
    }

    @Test func aCloseLingersWithFewBytesUnwrittenWhereWritabilityCountsEveryByte() throws {
        let (channel, socket) = try Self.channel(unwritten: 100)
        channel.close(promise: nil)
        #expect(socket.outputCloses == 1, "the output is shut first: the answer is still wanted")
        #expect(channel.isActive)
    }

    @Test func aCloseDoesNotLingerWithMoreThanTheDefaultHighWaterMarkUnwritten() throws {
        let (channel, socket) = try Self.channel(unwritten: LingeringClose.defaultHighWaterMark + 1)
        channel.close(promise: nil)
        #expect(socket.outputCloses == 0)
        #expect(!channel.isActive)
    }

    /// A connected channel with a `LingeringClose` that counts unwritten bytes, `unwritten`
    /// of them written but not flushed, and unwritable as a one-byte mark makes it.
    private static func channel(unwritten: Int) throws -> (EmbeddedChannel, LingeringCloseTests.Socket) {
        let socket = LingeringCloseTests.Socket()
        let channel = EmbeddedChannel()
        let lingering = LingeringClose(maximumLinger: .seconds(30), countsUnwrittenBytes: true) {
            $0.eventLoop.makeSucceededFuture(.underWay)
        }
        try channel.pipeline.syncOperations.addHandlers(socket, lingering)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 80)).wait()
        channel.write(ByteBuffer(repeating: UInt8(ascii: "x"), count: unwritten), promise: nil)
        channel.isWritable = false
        return (channel, socket)
    }
}
