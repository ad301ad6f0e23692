import Foundation
import NIOCore
import NIOPosix

/// One end of the socketpair between two generations: framed, versioned messages, and an
/// end of the message stream the moment the peer's process is gone (EOF), so that a
/// dead peer is never waited out to a timeout.
final class ControlChannel: Sendable {
    /// Frame header: magic, version, payload length (big-endian), then JSON.
    static let magic: [UInt8] = Array("ZDT".utf8)
    static let version: UInt8 = 1
    static let maximumPayload = 1 << 20
    /// The largest hand-over state a frame takes: base64 in JSON takes a third more.
    static let maximumState = maximumPayload / 2

    /// What a successor learns from its parent's first message.
    struct Hello: Sendable {
        var parentPID: Int32
        var generation: Int
        /// `ControlMessage.currentVersion` of the parent's release (1 for the first).
        var version: Int
    }

    private let channel: any Channel
    /// Messages in arrival order, except `hello`; finishes at EOF or on a malformed frame.
    let messages: AsyncStream<ControlMessage>
    /// The parent's `hello`, on a successor's end; fails at EOF.
    let hello: EventLoopFuture<Hello>
    /// The stages a successor waits for; each also completes at EOF (the peer is gone).
    /// Futures rather than reads of `messages`, so that a wait that times out consumes
    /// nothing and a later wait still sees the stage.
    let stages: ControlStages

    private init(channel: any Channel, messages: AsyncStream<ControlMessage>,
                 hello: EventLoopFuture<Hello>, stages: ControlStages) {
        self.channel = channel
        self.messages = messages
        self.hello = hello
        self.stages = stages
    }

    /// Wraps `fd` (one end of a `socketpair`) and takes ownership of it.
    static func adopt(fd: Int32, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws
        -> ControlChannel
    {
        let (stream, continuation) = AsyncStream.makeStream(of: ControlMessage.self)
        let eventLoop = group.next()
        let hello = eventLoop.makePromise(of: Hello.self)
        let stages = ControlStages(eventLoop: eventLoop)
        let channel = try await ClientBootstrap(group: eventLoop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(ControlFrameDecoder()),
                        ControlMessageReceiver(continuation: continuation, hello: hello, stages: stages),
                    ])
                }
            }
            .withConnectedSocket(fd).get()
        return ControlChannel(channel: channel, messages: stream, hello: hello.futureResult, stages: stages)
    }

    /// Sends a message; completes once it is written to the socket.
    func send(_ message: ControlMessage) async throws {
        try await channel.writeAndFlush(channel.allocator.buffer(bytes: Self.frame(message)))
    }

    /// `message` as it goes on the wire: header, then JSON.
    static func frame(_ message: ControlMessage) throws -> [UInt8] {
        let payload = try JSONEncoder().encode(message)
        var buffer = ByteBuffer()
        buffer.reserveCapacity(8 + payload.count)
        buffer.writeBytes(magic)
        buffer.writeInteger(version)
        buffer.writeInteger(UInt32(payload.count))
        buffer.writeBytes(payload)
        return Array(buffer.readableBytesView)
    }

    /// Closes this end; the peer sees EOF.
    func close() async {
        try? await channel.close()
    }
}

/// Splits the byte stream into frames and rejects anything that is not ours.
struct ControlFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ControlMessage

    struct MalformedFrame: Error {}

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard buffer.readableBytes >= 8 else { return .needMoreData }
        let start = buffer.readerIndex
        guard buffer.getBytes(at: start, length: 3) == ControlChannel.magic,
              buffer.getInteger(at: start + 3, as: UInt8.self) == ControlChannel.version,
              let length = buffer.getInteger(at: start + 4, as: UInt32.self), Int(length) <= ControlChannel.maximumPayload
        else { throw MalformedFrame() }
        guard buffer.readableBytes >= 8 + Int(length) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 8)
        let payload = buffer.readBytes(length: Int(length)) ?? []
        // A message of a newer release: skipped, as the format promises (`ControlMessage`).
        if let message = try? JSONDecoder().decode(ControlMessage.self, from: Data(payload)) {
            context.fireChannelRead(wrapInboundOut(message))
        }
        return .continue
    }
}

/// Feeds decoded messages into the channel's `AsyncStream` (all but `hello`, which
/// completes its own promise) and ends both at EOF or error.
final class ControlMessageReceiver: ChannelInboundHandler, Sendable {
    typealias InboundIn = ControlMessage

    struct Closed: Error {}

    private let continuation: AsyncStream<ControlMessage>.Continuation
    private let hello: EventLoopPromise<ControlChannel.Hello>
    private let stages: ControlStages

    init(continuation: AsyncStream<ControlMessage>.Continuation,
         hello: EventLoopPromise<ControlChannel.Hello>, stages: ControlStages) {
        self.continuation = continuation
        self.hello = hello
        self.stages = stages
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let message = unwrapInboundIn(data)
        switch message {
        case .hello(let parentPID, let generation, let version):
            hello.succeed(ControlChannel.Hello(parentPID: parentPID, generation: generation, version: version ?? 1))
        case .acceptingStopped(let state):
            stages.acceptingStopped.succeed(state.map { Array($0) })
        case .shutdownComplete(let state):
            stages.reachedShutdownComplete(state: state.map { Array($0) })
        case .stop:
            stages.stopRequested.succeed()
        case .ready, .failed, .accepting, .tookOver, .stopping:
            continuation.yield(message)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish()
        context.close(promise: nil)
    }

    private func finish() {
        continuation.finish()
        hello.fail(Closed())
        stages.reachedShutdownComplete()
        stages.closed.succeed()
        stages.stopRequested.fail(Closed())
    }
}

/// The points of a hand-over a successor waits for, as promises that are completed once,
/// with the hand-over state the parent sent along (nil when it sent none or is gone).
struct ControlStages: Sendable {
    let acceptingStopped: EventLoopPromise<[UInt8]?>
    let shutdownComplete: EventLoopPromise<[UInt8]?>
    /// The peer's end closed: its process is gone.
    let closed: EventLoopPromise<Void>
    /// The parent asked this generation to stop (never completed by EOF).
    let stopRequested: EventLoopPromise<Void>

    init(eventLoop: any EventLoop) {
        acceptingStopped = eventLoop.makePromise()
        shutdownComplete = eventLoop.makePromise()
        closed = eventLoop.makePromise()
        stopRequested = eventLoop.makePromise()
    }

    /// The last stage implies the earlier one. NIO ignores the completion of a promise that
    /// is already complete, so this may run more than once (a message, then EOF).
    /// - Parameter state: the parent's final state; it is also the earlier stage's when that
    ///   never came (the state is a running total, so the later one stands for both).
    /// - Important: call on the channel's event loop, which the promises share.
    func reachedShutdownComplete(state: [UInt8]? = nil) {
        acceptingStopped.succeed(state)
        shutdownComplete.succeed(state)
    }
}
