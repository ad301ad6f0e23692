import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Serves the control socket: reads one request line per connection, hands it to the
/// runtime and writes whatever replies come back. A connection stays open until the
/// runtime is done with it, so `stop` can hold it until the process exits.
///
/// A client gets `requestTimeout` to send its request line, and at most `maxConnections`
/// are open at once (more are closed as they come): a local process that opens connections
/// and never finishes a request cannot hold descriptors for long.
final class ControlServer: Sendable {
    /// Sends a reply line; the future completes once it is written (or the client is gone).
    typealias Reply = @Sendable (ControlProtocol.Reply) -> EventLoopFuture<Void>
    /// How long a connection may take to send its request line.
    static let requestTimeout: TimeAmount = .seconds(5)
    /// The most control connections open at once; `stop` keeps one open per caller.
    static let maxConnections = 64

    /// Answers one request; `reply` may be called later, and more than once.
    typealias Handler = @Sendable (ControlProtocol.Request, _ reply: @escaping Reply) -> Void

    private let channel: any Channel

    private init(channel: any Channel) {
        self.channel = channel
    }

    /// Starts accepting on a duplicate of `listener`'s fd.
    static func start(listener: Listener, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                      handler: @escaping Handler) async throws -> ControlServer {
        let fd = try listener.duplicate()
        let open = NIOLockedValueBox(0)
        let channel: any Channel
        do {
            channel = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                let admitted = open.withLockedValue { count in
                    guard count < maxConnections else { return false }
                    count += 1
                    return true
                }
                guard admitted else { return channel.close() }
                channel.closeFuture.whenComplete { _ in open.withLockedValue { $0 -= 1 } }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ControlConnectionHandler(handler: handler))
                }
            }
            .withBoundSocket(fd).get()
        } catch {
            // NIO did not take the duplicate, so it is still ours to close.
            Posix.close(fd)
            throw error
        }
        return ControlServer(channel: channel)
    }

    /// Stops accepting; connections already open stay until answered.
    func stop() async {
        try? await channel.close()
    }
}

/// One control connection: at most 64 KiB of request, one JSON line.
private final class ControlConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let handler: ControlServer.Handler
    private var buffer = ByteBuffer()
    private var answered = false
    private var timeout: Scheduled<Void>?

    init(handler: @escaping ControlServer.Handler) {
        self.handler = handler
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        timeout = context.eventLoop.scheduleTask(in: ControlServer.requestTimeout) {
            loopBound.value.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timeout?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !answered else { return }
        var chunk = unwrapInboundIn(data)
        buffer.writeBuffer(&chunk)
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > 64 * 1024 { context.close(promise: nil) }
            return
        }
        answered = true
        // Answered: the connection now lives as long as the runtime's reply needs (a `stop`
        // holds it until the process exits).
        timeout?.cancel()
        let line = buffer.getBytes(at: buffer.readerIndex, length: newline - buffer.readerIndex) ?? []
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        let reply: ControlServer.Reply = { reply in
            let written = eventLoop.makePromise(of: Void.self)
            guard var data = try? JSONEncoder().encode(reply) else {
                written.succeed()
                return written.futureResult
            }
            data.append(UInt8(ascii: "\n"))
            let line = ByteBuffer(bytes: data)
            eventLoop.execute {
                loopBound.value.writeAndFlush(NIOAny(line), promise: written)
            }
            return written.futureResult
        }
        guard let request = try? JSONDecoder().decode(ControlProtocol.Request.self, from: Data(line)) else {
            _ = reply(ControlProtocol.Reply(ok: false, message: "malformed request; expected {\"command\": \"reload|stop|status\"}"))
            context.eventLoop.execute { loopBound.value.close(promise: nil) }
            return
        }
        handler(request, reply)
    }
}

@available(*, unavailable)
extension ControlConnectionHandler: Sendable {}
