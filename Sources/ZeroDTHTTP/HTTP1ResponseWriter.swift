import NIOCore
import NIOHTTP1

/// HTTP/1.x on the wire: the head serialized by `ResponseHead` into one buffer (with a small
/// body appended, so that it goes out in one segment), then the body as it is. A response of
/// known length ends with its last byte; a streamed one (`ResponseHeadFields/isStreamed`)
/// goes out chunked to HTTP/1.1 clients, and to HTTP/1.0 ones, which know no chunks, as it
/// is up to the close of the connection (which the connection handler arranges).
final class HTTP1ResponseWriter: ResponseWriter {
    /// The one every connection (or stream) uses.
    static let shared = HTTP1ResponseWriter()

    private init() {}

    func writeInterim(_ status: HTTPResponseStatus, version: HTTPVersion, context: ChannelHandlerContext) {
        let interim = ResponseHead.interim(status, version: version, allocator: context.channel.allocator)
        context.write(NIOAny(IOData.byteBuffer(interim)), promise: nil)
    }

    func writeHead(_ head: ResponseHeadFields, body: ByteBuffer?, endsResponse: Bool, context: ChannelHandlerContext,
                   promise: EventLoopPromise<Void>?) throws(ResponseHead.InvalidHeader) {
        // A fixed response goes out as the bytes it went out as last, when they still fit.
        let fixed = head.isStreamed ? nil : head.fixedMessage
        if let fixed, let message = fixed.message(date: head.date, server: head.server, connection: head.connection,
                                                  minorVersion: head.version.minor, carriesBody: body != nil) {
            context.write(NIOAny(IOData.byteBuffer(message)), promise: promise)
            return
        }
        var buffer = try ResponseHead.serialize(
            version: head.version, status: head.status, headers: head.headers, renderedHeaders: head.renderedHeaders,
            date: head.date, server: head.server,
            contentLength: head.contentLength, chunked: head.isChunked, connection: head.connection,
            extraCapacity: body?.readableBytes ?? 0, allocator: context.channel.allocator)
        if var body { buffer.writeBuffer(&body) }
        fixed?.store(buffer, date: head.date, server: head.server, connection: head.connection,
                     minorVersion: head.version.minor, carriesBody: body != nil)
        context.write(NIOAny(IOData.byteBuffer(buffer)), promise: promise)
    }

    func writeBody(_ data: IOData, endsResponse: Bool, context: ChannelHandlerContext,
                   promise: EventLoopPromise<Void>?) {
        context.write(NIOAny(data), promise: promise)
    }

    func writeStreamed(_ piece: ByteBuffer, head: ResponseHeadFields, context: ChannelHandlerContext,
                       promise: EventLoopPromise<Void>?) {
        guard head.isChunked, piece.readableBytes > 0 else {
            context.write(NIOAny(IOData.byteBuffer(piece)), promise: promise)
            return
        }
        context.write(NIOAny(IOData.byteBuffer(Self.chunk(piece, allocator: context.channel.allocator))),
                      promise: promise)
    }

    func writeStreamEnd(head: ResponseHeadFields, context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        var end = context.channel.allocator.buffer(capacity: 5)
        // Close-delimited, the end is the close: an empty write only orders the promise after the body.
        if head.isChunked { end.writeStaticString("0\r\n\r\n") }
        context.write(NIOAny(IOData.byteBuffer(end)), promise: promise)
    }

    func coalesceSegments(_ coalesce: Bool, context: ChannelHandlerContext) {
        SegmentCoalescing.set(coalesce, on: context.channel)
    }

    /// `piece` as one chunk (RFC 9112 §7.1): its size in hex, CRLF, the bytes, CRLF, in one
    /// buffer, so that a chunk is one write. The copy costs little next to making the piece.
    static func chunk(_ piece: ByteBuffer, allocator: ByteBufferAllocator) -> ByteBuffer {
        let size = String(piece.readableBytes, radix: 16)
        var chunk = allocator.buffer(capacity: size.utf8.count + piece.readableBytes + 4)
        chunk.writeString(size)
        chunk.writeStaticString("\r\n")
        var piece = piece
        chunk.writeBuffer(&piece)
        chunk.writeStaticString("\r\n")
        return chunk
    }
}
