import NIOCore

/// Answers every request on a connection with the hello response: a request is whatever
/// ends with a blank line (no body, no parsing). Answers go out at the end of each read burst.
final class HelloHTTP1Handler: ChannelInboundHandler, FlushesAtReadComplete {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// How many bytes of "\r\n\r\n" the bytes read so far end with.
    private var matched = 0
    var answered = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        var requests = 0
        bytes.withUnsafeReadableBytes { raw in
            for byte in raw {
                switch (matched, byte) {
                case (0, UInt8(ascii: "\r")), (2, UInt8(ascii: "\r")): matched += 1
                case (1, UInt8(ascii: "\n")): matched = 2
                case (3, UInt8(ascii: "\n")): matched = 0; requests += 1
                case (_, UInt8(ascii: "\r")): matched = 1
                default: matched = 0
                }
            }
        }
        guard requests > 0 else { return }
        let response = HelloResponse.current.http1
        for _ in 0..<requests { context.write(wrapOutboundOut(response), promise: nil) }
        answered = true
    }
}
