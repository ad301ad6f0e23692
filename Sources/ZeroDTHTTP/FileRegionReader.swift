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
///
/// A file found shorter than its region (it shrank under the response) fails the region's
/// write with `TruncatedFileError`. On HTTP/1 the body's length is the connection's, so only
/// closing the connection can tell the client that the response is cut. Over HTTP/2
/// (`carriesHTTP2Frames`) the region is one DATA frame's payload, after its 9-byte header:
/// the header is held until the region's first chunk is read, and a frame whose file ends
/// early is cut to what the file holds, without END_STREAM, so that the connection's framing
/// stays whole and the stream's owner can reset the stream alone. Should the file shrink once
/// the header has gone (a region larger than a chunk), the frame is filled up with zeros,
/// which the reset that follows marks as not part of a complete response.
final class FileRegionReader: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    /// Bytes read and written at a time.
    static let chunkSize = 64 * 1024

    /// The size of an HTTP/2 frame's header, which nio-http2 writes just before a DATA
    /// frame's file region.
    static let frameHeaderSize = 9

    private struct PendingWrite {
        var data: IOData
        var promise: EventLoopPromise<Void>?
        /// HTTP/2: the header of the DATA frame whose payload this region is.
        var frameHeader: ByteBuffer?
    }

    /// The region being sent, the promise completed when all of it is written, and its
    /// frame's header while that is held back.
    private struct Sending {
        var region: FileRegion
        var promise: EventLoopPromise<Void>?
        var frameHeader: ByteBuffer?
        /// Where the region started, for what of the file it sent.
        var start: Int
        /// The file came up short, after this many of its bytes: the write fails once what is
        /// left of the region is out.
        var truncatedAfter: Int?

        init(region: FileRegion, promise: EventLoopPromise<Void>?, frameHeader: ByteBuffer?) {
            self.region = region
            self.promise = promise
            self.frameHeader = frameHeader
            start = region.readerIndex
        }
    }

    /// Whether the writes are HTTP/2 frames (set once ALPN has chosen `h2`): a file cut short
    /// then ends its frame, not the connection.
    var carriesHTTP2Frames = false
    /// HTTP/2: a buffer of a frame header's size, held until the next write or flush shows
    /// whether a file region is its payload.
    private var heldFrameHeader: PendingWrite?
    /// Writes that wait behind the region being sent.
    private var queued: CircularBuffer<PendingWrite> = []
    private var sending: Sending?
    /// A flush asked for while writes waited; done once they are written.
    private var flushWaiting = false
    private var removed = false

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard carriesHTTP2Frames else {
            pass(data, promise: promise, context: context)
            return
        }
        let write = unwrapOutboundIn(data)
        if let header = heldFrameHeader {
            heldFrameHeader = nil
            if case .fileRegion = write, case .byteBuffer(let bytes) = header.data, header.promise == nil {
                // The header goes out with the region's first chunk (`sendChunk`).
                queued.append(PendingWrite(data: write, promise: promise, frameHeader: bytes))
                writeQueued(context: context)
                return
            }
            pass(NIOAny(header.data), promise: header.promise, context: context)
        }
        if case .byteBuffer(let bytes) = write, bytes.readableBytes == Self.frameHeaderSize {
            heldFrameHeader = PendingWrite(data: write, promise: promise)
            return
        }
        pass(data, promise: promise, context: context)
    }

    /// Passes a write on, or queues it behind a region being sent.
    private func pass(_ data: NIOAny, promise: EventLoopPromise<Void>?, context: ChannelHandlerContext) {
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
        if let header = heldFrameHeader {
            heldFrameHeader = nil
            pass(NIOAny(header.data), promise: header.promise, context: context)
        }
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
                sending = Sending(region: region, promise: next.promise, frameHeader: next.frameHeader)
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
        guard !removed, var current = sending else { return }
        guard current.region.readableBytes > 0 else {
            sending = nil
            if let sent = current.truncatedAfter {
                current.promise?.fail(TruncatedFileError(bytesSent: sent))
            } else {
                current.promise?.succeed()
            }
            writeQueued(context: context)
            return
        }
        let wanted = min(Self.chunkSize, current.region.readableBytes)
        var buffer: ByteBuffer
        do {
            buffer = try Self.readChunk(of: current.region, allocator: context.channel.allocator)
        } catch {
            failAll(error)
            context.close(promise: nil)
            return
        }
        var consumed = buffer.readableBytes
        if buffer.readableBytes < wanted {
            // Cut short underneath us: the promised length can never be sent.
            guard carriesHTTP2Frames else {
                if buffer.readableBytes > 0 { context.writeAndFlush(wrapOutboundOut(.byteBuffer(buffer)), promise: nil) }
                failAll(TruncatedFileError(bytesSent: current.region.readerIndex - current.start + buffer.readableBytes))
                context.close(promise: nil)
                return
            }
            current.truncatedAfter = current.region.readerIndex - current.start + buffer.readableBytes
            if current.frameHeader != nil {
                Self.cutFrame(&current.frameHeader!, toLength: buffer.readableBytes)
                consumed = current.region.readableBytes
            } else {
                buffer.writeRepeatingByte(0, count: wanted - buffer.readableBytes)
                consumed = wanted
            }
        }
        if let header = current.frameHeader {
            current.frameHeader = nil
            context.write(wrapOutboundOut(.byteBuffer(header)), promise: nil)
        }
        current.region.moveReaderIndex(forwardBy: consumed)
        sending = current
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

    /// Makes the HTTP/2 frame `header` announce `length` bytes of payload, and not end its
    /// stream: its file ended early. (nio-http2 pads no frame of ours, so the length is the
    /// region's.)
    private static func cutFrame(_ header: inout ByteBuffer, toLength length: Int) {
        let start = header.readerIndex
        header.setBytes([UInt8(truncatingIfNeeded: length >> 16), UInt8(truncatingIfNeeded: length >> 8),
                         UInt8(truncatingIfNeeded: length)], at: start)
        let endStream: UInt8 = 0x1
        if let flags = header.getInteger(at: start + 4, as: UInt8.self) {
            header.setInteger(flags & ~endStream, at: start + 4)
        }
    }

    private func failAll(_ error: any Error) {
        let promise = sending?.promise
        sending = nil
        heldFrameHeader?.promise?.fail(error)
        heldFrameHeader = nil
        let writes = queued
        queued.removeAll()
        promise?.fail(error)
        writes.forEach { $0.promise?.fail(error) }
    }

    /// Up to `chunkSize` bytes of `region` from its reader index: fewer only where the file ends.
    /// - Throws: `IOError` when a read fails.
    static func readChunk(of region: FileRegion, allocator: ByteBufferAllocator) throws -> ByteBuffer {
        let count = min(chunkSize, region.readableBytes)
        var buffer = allocator.buffer(capacity: count)
        _ = try region.fileHandle.withUnsafeFileDescriptor { descriptor in
            try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { bytes in
                var total = 0
                while total < count {
                    let read = pread(descriptor, bytes.baseAddress! + total, count - total,
                                     off_t(region.readerIndex + total))
                    if read > 0 {
                        total += read
                    } else if read == 0 {
                        break
                    } else if errno != EINTR {
                        throw IOError(errnoCode: errno, reason: "pread")
                    }
                }
                return total
            }
        }
        return buffer
    }
}

@available(*, unavailable)
extension FileRegionReader: Sendable {}
