import NIOCore

/// Sits before the HTTP decoder and watches raw bytes, for two things the decoder cannot
/// tell: that a new request has started arriving (which starts the `read_header` clock),
/// and whether a too-large head overflowed in its request line (414) or its headers (431).
final class RequestLineMonitor: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// No line feed has come since the connection opened or since the last blank line, so
    /// the bytes being received belong to a request line. Body bytes can fool this, which
    /// only matters when choosing between 414 and 431 for a head that is too large anyway.
    private(set) var inRequestLine = true
    private var lineIsEmpty = true

    /// Called with every read, before the decoder sees the bytes.
    var onBytes: (() -> Void)?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        onBytes?()
        buffer.withUnsafeReadableBytes { bytes in
            for byte in bytes {
                if byte == UInt8(ascii: "\n") {
                    inRequestLine = lineIsEmpty
                    lineIsEmpty = true
                } else if byte != UInt8(ascii: "\r") {
                    lineIsEmpty = false
                }
            }
        }
        context.fireChannelRead(data)
    }
}

@available(*, unavailable)
extension RequestLineMonitor: Sendable {}
