import NIOCore

/// Answers every request on a connection with the hello response (``RequestEnds``). Answers
/// go out at the end of each read burst.
final class HelloHTTP1Handler: ChannelInboundHandler, FlushesAtReadComplete {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var ends = RequestEnds()
    var answered = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let requests = ends.count(in: unwrapInboundIn(data))
        guard requests > 0 else { return }
        let response = HelloResponse.current.http1
        for _ in 0..<requests { context.write(wrapOutboundOut(response), promise: nil) }
        answered = true
    }
}
