import CompressNIO
import NIOCore

/// A gzip member written piece by piece: each input is compressed as it comes (no flush
/// between pieces, so the output is as small as one-shot compression), and `finish` ends it.
/// zlib through compress-nio; the output grows as needed.
struct GzipStream {
    private let compressor: ZlibCompressor
    private var output: ByteBuffer

    /// - Parameters:
    ///   - level: zlib's compression level, 1 (fastest) to 9 (smallest).
    ///   - expectedInput: the input size, to size the output buffer once for typical text.
    init(level: Int, expectedInput: Int) throws {
        compressor = try ZlibCompressor(algorithm: .gzip,
                                        configuration: ZlibConfiguration(compressionLevel: Int32(level)))
        // Text typically shrinks to a quarter or less; `compress` grows the buffer otherwise.
        output = ByteBufferAllocator().buffer(capacity: max(64, expectedInput / 4))
    }

    /// Compresses `input` (all of it) into the output.
    mutating func compress(_ input: ByteBuffer) throws {
        var input = input
        while input.readableBytes > 0 {
            output.reserveCapacity(minimumWritableBytes: compressor.maxSize(from: input))
            try compressor.deflate(from: &input, to: &output, flush: .no)
        }
    }

    /// Ends the stream and returns everything it produced.
    mutating func finish() throws -> ByteBuffer {
        // zlib takes the input's address even when it is empty, so it needs storage.
        var empty = ByteBufferAllocator().buffer(capacity: 1)
        while true {
            output.reserveCapacity(minimumWritableBytes: 16 * 1024)
            do {
                try compressor.deflate(from: &empty, to: &output, flush: .finish)
                return output
            } catch let error as CompressNIOError where error == .bufferOverflow {
                // zlib had more pending than fitted: what it wrote stays, give it more room.
                continue
            }
        }
    }
}
