#if canImport(Glibc)
import Glibc
#endif
import NIOCore

/// Sends response files over a channel that cannot `sendfile`: TLS encrypts in user space,
/// so swift-nio-ssl takes buffers only (a `FileRegion` reaching `NIOSSLHandler` traps when it
/// is unwrapped as a `ByteBuffer`). Each outbound `FileRegion` becomes buffers read from
/// the file `chunkSize` bytes at a time, the next chunk read only once the previous one is
/// written: a file of any size costs one chunk of memory, and a client that stops reading
/// stops the reads, so the connection's write timeout sees no progress, as with `sendfile`.
/// Writes that follow a region wait their turn, in order.
///
/// The reads run on the event loop, as `sendfile` does: for files in the page cache they
/// cost about what copying them into the kernel would.
final class FileRegionReader: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    /// Bytes read and written at a time.
    static let chunkSize = 64 * 1024

    private struct PendingWrite {
        var data: IOData
        var promise: EventLoopPromise<Void>?
    }

    /// Writes that wait behind the region being sent.
    private var queued: CircularBuffer<PendingWrite> = []
    /// The region being sent, and the promise completed when all of it is written.
    private var sending: (region: FileRegion, promise: EventLoopPromise<Void>?)?
    /// A flush asked for while writes waited; done once they are written.
    private var flushWaiting = false
    private var removed = false

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // The usual write, a buffer with nothing before it, goes straight on: the queue cost
        // each of a small HTTP/2 response's three writes about 1,300 instructions (callgrind).
        if sending == nil && queued.isEmpty, case .byteBuffer = unwrapOutboundIn(data) {
            context.write(data, promise: promise)
            return
        }
        queued.append(PendingWrite(data: unwrapOutboundIn(data), promise: promise))
        writeQueued(context: context)
    }

    func flush(context: ChannelHandlerContext) {
        if sending == nil && queued.isEmpty {
            context.flush()
        } else {
            flushWaiting = true
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        removed = true
        failAll(ChannelError.ioOnClosedChannel)
    }

    /// Passes queued buffers on until a region comes up, which then has the channel to itself.
    private func writeQueued(context: ChannelHandlerContext) {
        while sending == nil, let next = queued.popFirst() {
            switch next.data {
            case .byteBuffer:
                context.write(wrapOutboundOut(next.data), promise: next.promise)
            case .fileRegion(let region):
                sending = (region, next.promise)
                sendChunk(context: context)
            }
        }
        if sending == nil && flushWaiting {
            flushWaiting = false
            context.flush()
        }
    }

    /// Reads the next chunk of the region being sent and writes it; when it is written, the
    /// next one follows (from the event loop's queue, so that a socket that takes every
    /// chunk at once does not grow the stack).
    private func sendChunk(context: ChannelHandlerContext) {
        guard !removed, let (current, promise) = sending else { return }
        var region = current
        guard region.readableBytes > 0 else {
            sending = nil
            promise?.succeed()
            writeQueued(context: context)
            return
        }
        let buffer: ByteBuffer
        do {
            buffer = try Self.readChunk(of: region, allocator: context.channel.allocator)
        } catch {
            // Cut short underneath us (or closed): the promised length can never be sent.
            failAll(error)
            context.close(promise: nil)
            return
        }
        region.moveReaderIndex(forwardBy: buffer.readableBytes)
        sending = (region, promise)
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.byteBuffer(buffer)), promise: written)
        written.futureResult.assumeIsolated().whenComplete { [self] result in
            switch result {
            case .success:
                context.eventLoop.assumeIsolated().execute { [self] in sendChunk(context: context) }
            case .failure(let error):
                failAll(error)
            }
        }
    }

    private func failAll(_ error: any Error) {
        let promise = sending?.promise
        sending = nil
        let writes = queued
        queued.removeAll()
        promise?.fail(error)
        writes.forEach { $0.promise?.fail(error) }
    }

    /// Up to `chunkSize` bytes of `region` from its reader index.
    /// - Throws: `IOError` when the read fails or finds the file shorter than the region.
    static func readChunk(of region: FileRegion, allocator: ByteBufferAllocator) throws -> ByteBuffer {
        let count = min(chunkSize, region.readableBytes)
        var buffer = allocator.buffer(capacity: count)
        _ = try region.fileHandle.withUnsafeFileDescriptor { descriptor in
            try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { bytes in
                while true {
                    let read = pread(descriptor, bytes.baseAddress, count, off_t(region.readerIndex))
                    if read > 0 { return read }
                    if read < 0 && errno == EINTR { continue }
                    throw read == 0 ? IOError(errnoCode: EIO, reason: "file shorter than the response says")
                        : IOError(errnoCode: errno, reason: "pread")
                }
            }
        }
        return buffer
    }
}

@available(*, unavailable)
extension FileRegionReader: Sendable {}
