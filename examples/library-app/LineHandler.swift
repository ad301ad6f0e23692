import NIOCore

/// Answers each line with `<label>: <line>`; `slow N` answers after N seconds. On
/// `ChannelShouldQuiesceEvent` (the server is draining) it finishes the line in hand and
/// closes, as every handler behind a restartable server should.
final class LineHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let label: String
    private var buffer = ByteBuffer()
    private var busy = false
    private var quiescing = false

    init(label: String) {
        self.label = label
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var chunk = unwrapInboundIn(data)
        buffer.writeBuffer(&chunk)
        answerLines(context: context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        quiescing = true
        if !busy { context.close(promise: nil) }
    }

    private func answerLines(context: ChannelHandlerContext) {
        while !busy, let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
            let line = buffer.readString(length: newline - buffer.readerIndex) ?? ""
            buffer.moveReaderIndex(forwardBy: 1)
            let reply = context.channel.allocator.buffer(string: "\(label): \(line)\n")
            if line.hasPrefix("slow "), let seconds = Int64(line.dropFirst(5)) {
                busy = true
                let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                context.eventLoop.scheduleTask(in: .seconds(seconds)) {
                    let (handler, context) = loopBound.value
                    handler.busy = false
                    handler.send(reply, context: context)
                    handler.answerLines(context: context)
                }
            } else {
                send(reply, context: context)
            }
        }
    }

    private func send(_ reply: ByteBuffer, context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(reply), promise: nil)
        if quiescing && !busy { context.close(promise: nil) }
    }
}
