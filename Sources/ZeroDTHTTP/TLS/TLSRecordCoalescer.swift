import NIOCore

/// Gathers the small buffers written between two flushes into one, just above the TLS
/// handler, which makes each write a TLS record of its own (one `SSL_write`, one seal, 22
/// bytes of overhead). An HTTP/2 response is three writes (the HEADERS frame, then the DATA
/// frame's header and its payload), and the streams answered in one read burst are flushed
/// together: without this, ten small responses went out as thirty records.
///
/// Buffers are copied into the gathered one while it stays within a full record
/// (`recordSize`); what would overflow it sends the gathered bytes on first, and a buffer of
/// a record or more passes as it is. Nothing is held past a flush or a close, and writes keep
/// their order. One promise for the gathered bytes completes the promises of all the writes
/// in them.
final class TLSRecordCoalescer: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    /// TLS's largest record's plaintext (RFC 8446 §5.1).
    static let recordSize = 16 * 1024

    private var gathered: ByteBuffer?
    /// Whether `gathered` is a buffer of this handler's, rather than the first one written.
    private var ownsGathered = false
    private var promises: [EventLoopPromise<Void>] = []

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .byteBuffer(var buffer) = unwrapOutboundIn(data) else {
            writeGathered(context: context)
            context.write(data, promise: promise)
            return
        }
        if let gathered, gathered.readableBytes + buffer.readableBytes > Self.recordSize {
            writeGathered(context: context)
        }
        guard buffer.readableBytes < Self.recordSize else {
            context.write(data, promise: promise)
            return
        }
        if let promise { promises.append(promise) }
        guard var first = gathered else {
            // Kept as it is, and copied only when another buffer joins it.
            gathered = buffer
            return
        }
        gathered = nil
        if !ownsGathered {
            // The buffers written are often slices of one their writer reuses (nio-http2's):
            // appending to one would copy it anyway.
            var own = context.channel.allocator.buffer(capacity: Self.recordSize)
            own.writeBuffer(&first)
            first = own
            ownsGathered = true
        }
        first.writeBuffer(&buffer)
        gathered = first
    }

    func flush(context: ChannelHandlerContext) {
        writeGathered(context: context)
        context.flush()
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        writeGathered(context: context)
        context.close(mode: mode, promise: promise)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        writeGathered(context: context)
    }

    private func writeGathered(context: ChannelHandlerContext) {
        guard let buffer = gathered else { return }
        gathered = nil
        ownsGathered = false
        let promise: EventLoopPromise<Void>?
        switch promises.count {
        case 0:
            promise = nil
        case 1:
            promise = promises[0]
        default:
            let all = promises
            promise = context.eventLoop.makePromise(of: Void.self)
            promise!.futureResult.assumeIsolated().whenComplete { result in
                for each in all { each.completeWith(result) }
            }
        }
        promises.removeAll(keepingCapacity: true)
        context.write(wrapOutboundOut(.byteBuffer(buffer)), promise: promise)
    }
}

@available(*, unavailable)
extension TLSRecordCoalescer: Sendable {}
