import NIOCore
import NIOEmbedded
import Testing
@testable import ZeroDTHTTP

/// Small writes between flushes reach TLS as one buffer, in order, never larger than a
/// record; large ones pass as they are; every write's promise completes with the write.
@Suite struct TLSRecordCoalescerTests {
    private static func buffer(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }
    private static func buffer(count: Int, byte: UInt8) -> ByteBuffer {
        ByteBuffer(repeating: byte, count: count)
    }

    /// Everything written out, in order, as buffers.
    private static func written(_ channel: EmbeddedChannel) throws -> [ByteBuffer] {
        var out: [ByteBuffer] = []
        while let next = try channel.readOutbound(as: IOData.self) {
            guard case .byteBuffer(let buffer) = next else {
                Issue.record("a file region reached the channel")
                return out
            }
            out.append(buffer)
        }
        return out
    }

    @Test func smallWritesGoOutAsOneBufferAtTheFlushAndCompleteTheirPromises() throws {
        let channel = EmbeddedChannel(handler: TLSRecordCoalescer())
        var completed: [Int] = []
        for (index, text) in ["HEADERS", "data-header", "Hello"].enumerated() {
            let promise = channel.eventLoop.makePromise(of: Void.self)
            promise.futureResult.assumeIsolated().whenSuccess { completed.append(index) }
            channel.write(IOData.byteBuffer(Self.buffer(text)), promise: promise)
        }
        #expect(try Self.written(channel).isEmpty)
        channel.flush()
        #expect(try Self.written(channel).map { String(buffer: $0) } == ["HEADERSdata-headerHello"])
        #expect(completed == [0, 1, 2])
        #expect(try channel.finish().isClean)
    }

    @Test func aLoneWriteGoesOutAsItIs() throws {
        let channel = EmbeddedChannel(handler: TLSRecordCoalescer())
        channel.writeAndFlush(IOData.byteBuffer(Self.buffer("only")), promise: nil)
        #expect(try Self.written(channel).map { String(buffer: $0) } == ["only"])
        #expect(try channel.finish().isClean)
    }

    @Test func noBufferOutgrowsARecordAndLargeWritesPassAsTheyAre() throws {
        let channel = EmbeddedChannel(handler: TLSRecordCoalescer())
        let record = TLSRecordCoalescer.recordSize
        channel.write(IOData.byteBuffer(Self.buffer(count: record - 10, byte: 1)), promise: nil)
        channel.write(IOData.byteBuffer(Self.buffer(count: 10, byte: 2)), promise: nil)
        channel.write(IOData.byteBuffer(Self.buffer(count: 1, byte: 3)), promise: nil)
        channel.write(IOData.byteBuffer(Self.buffer(count: record + 1, byte: 4)), promise: nil)
        channel.write(IOData.byteBuffer(Self.buffer(count: 5, byte: 5)), promise: nil)
        channel.flush()
        let out = try Self.written(channel)
        #expect(out.map(\.readableBytes) == [record, 1, record + 1, 5])
        let bytes = out.flatMap { Array($0.readableBytesView) }
        let expected = [UInt8](repeating: 1, count: record - 10) + [UInt8](repeating: 2, count: 10) + [3]
            + [UInt8](repeating: 4, count: record + 1) + [UInt8](repeating: 5, count: 5)
        #expect(bytes == expected)
        #expect(try channel.finish().isClean)
    }

    /// What reaches the handler below: writes (as text) and closes; writes fail if asked.
    private final class Below: ChannelOutboundHandler {
        typealias OutboundIn = IOData
        var events: [String] = []
        let failsWrites: Bool
        init(failsWrites: Bool = false) { self.failsWrites = failsWrites }

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            guard case .byteBuffer(let buffer) = unwrapOutboundIn(data) else { return }
            events.append("write " + String(buffer: buffer))
            if failsWrites { promise?.fail(ChannelError.ioOnClosedChannel) } else { promise?.succeed() }
        }

        func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
            events.append("close")
            context.close(mode: mode, promise: promise)
        }
    }

    @Test func aCloseSendsWhatWasGatheredFirst() throws {
        let below = Below()
        let channel = EmbeddedChannel(handlers: [below, TLSRecordCoalescer()])
        channel.write(IOData.byteBuffer(Self.buffer("GOAWAY")), promise: nil)
        channel.write(IOData.byteBuffer(Self.buffer("+PING")), promise: nil)
        channel.close(promise: nil)
        #expect(below.events == ["write GOAWAY+PING", "close"])
    }

    @Test func aFailedWriteFailsEveryPromiseInIt() throws {
        let channel = EmbeddedChannel(handlers: [Below(failsWrites: true), TLSRecordCoalescer()])
        var failures = 0
        for _ in 0..<3 {
            let promise = channel.eventLoop.makePromise(of: Void.self)
            promise.futureResult.assumeIsolated().whenFailure { _ in failures += 1 }
            channel.write(IOData.byteBuffer(Self.buffer("x")), promise: promise)
        }
        channel.flush()
        #expect(failures == 3)
        _ = try? channel.finish()
    }
}
