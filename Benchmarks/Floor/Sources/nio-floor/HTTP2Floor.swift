import NIOCore
import NIOHPACK
import NIOHTTP2

/// nio-http2 as zerodt-serve configures it (the same validation and settings), with the
/// least on top: one frame handler per connection, or a minimal handler per stream channel.
enum HTTP2Floor {
    static func addHandlers(to channel: any Channel, streams: Bool) throws {
        var connection = NIOHTTP2Handler.ConnectionConfiguration()
        connection.headerBlockValidation = .enabled
        connection.contentLengthValidation = .enabled
        connection.initialSettings = [
            HTTP2Setting(parameter: .maxConcurrentStreams, value: 100),
            HTTP2Setting(parameter: .maxHeaderListSize, value: 16 * 1024),
        ]
        let sync = channel.pipeline.syncOperations
        guard streams else {
            try sync.addHandlers(NIOHTTP2Handler(mode: .server, connectionConfiguration: connection),
                                 HelloFrameHandler())
            return
        }
        let http2 = NIOHTTP2Handler(mode: .server, eventLoop: channel.eventLoop, connectionConfiguration: connection,
                                    streamConfiguration: .init()) { stream in
            stream.eventLoop.makeCompletedFuture {
                try stream.pipeline.syncOperations.addHandler(HelloStreamHandler())
            }
        }
        try sync.addHandler(http2)
    }
}

/// Answers each request (HEADERS with END_STREAM) on the connection with the hello response:
/// a HEADERS frame and a DATA frame with END_STREAM. Flushed at the end of each read burst.
final class HelloFrameHandler: ChannelInboundHandler, FlushesAtReadComplete {
    typealias InboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    var answered = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard case .headers(let headers) = frame.payload, headers.endStream else { return }
        let answer = HelloResponse.http2Frames
        context.write(wrapOutboundOut(HTTP2Frame(streamID: frame.streamID, payload: answer.headers)), promise: nil)
        context.write(wrapOutboundOut(HTTP2Frame(streamID: frame.streamID, payload: answer.data)), promise: nil)
        answered = true
    }
}

/// The same on one stream's channel: its request's HEADERS with END_STREAM get the answer.
final class HelloStreamHandler: ChannelInboundHandler, FlushesAtReadComplete {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias OutboundOut = HTTP2Frame.FramePayload

    var answered = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .headers(let headers) = unwrapInboundIn(data), headers.endStream else { return }
        let answer = HelloResponse.http2Frames
        context.write(wrapOutboundOut(answer.headers), promise: nil)
        context.write(wrapOutboundOut(answer.data), promise: nil)
        answered = true
    }
}

/// Writes answers as requests are read, and flushes them once at the end of the read burst.
protocol FlushesAtReadComplete: ChannelInboundHandler {
    var answered: Bool { get set }
}

extension FlushesAtReadComplete {
    func channelReadComplete(context: ChannelHandlerContext) {
        if answered {
            answered = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }
}
