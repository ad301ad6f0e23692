import CompressNIO
import NIOCore
import NIOPosix

/// A gzip member written piece by piece: each input is compressed as it comes (no flush
/// between pieces, so the output is as small as one-shot compression), and `finish` ends it.
/// zlib through compress-nio; the output grows as needed, and `takeOutput` hands over what
/// is there so far, for a body sent as it is compressed.
///
/// Each thread keeps the compressor of its last finished stream, per level, and the next
/// stream there resets and reuses it: zlib's state is about 300 KiB, and allocating it per
/// response cost as much CPU in page faults and `madvise` as the compression itself.
struct GzipStream {
    private let compressor: ZlibCompressor
    private let level: Int
    private var output: ByteBuffer

    /// - Parameters:
    ///   - level: zlib's compression level, 1 (fastest) to 9 (smallest).
    ///   - expectedInput: the input size, to size the output buffer once for typical text.
    init(level: Int, expectedInput: Int) throws {
        if let reused = Self.idle.currentValue?.take(level: level) {
            compressor = reused
        } else {
            compressor = try ZlibCompressor(algorithm: .gzip,
                                            configuration: ZlibConfiguration(compressionLevel: Int32(level)))
        }
        self.level = level
        // Text typically shrinks to a quarter or less; `compress` grows the buffer otherwise.
        output = ByteBufferAllocator().buffer(capacity: max(64, expectedInput / 4))
    }

    /// Compresses `input` (all of it) into the output, a slice at a time: the room zlib
    /// must be given for a slice is its worst case (more than the slice), so slices keep the
    /// output near what compression really produces instead of growing it to the input's size.
    mutating func compress(_ input: ByteBuffer) throws {
        var input = input
        while var slice = input.readSlice(length: min(input.readableBytes, Self.sliceSize)) {
            guard slice.readableBytes > 0 else { return }
            while slice.readableBytes > 0 {
                output.reserveCapacity(minimumWritableBytes: compressor.maxSize(from: slice))
                try compressor.deflate(from: &slice, to: &output, flush: .no)
            }
        }
    }

    private static let sliceSize = 8 * 1024

    /// What the stream produced since the last take (or its start), leaving it an empty
    /// output; zlib holds back some of what it was given until more comes or `finish`.
    mutating func takeOutput() -> ByteBuffer {
        let taken = output
        output = ByteBufferAllocator().buffer(capacity: max(64, taken.capacity))
        return taken
    }

    /// Ends the stream and returns what it produced since the last `takeOutput`; the
    /// compressor goes back to this thread's idle ones.
    mutating func finish() throws -> ByteBuffer {
        // zlib takes the input's address even when it is empty, so it needs storage.
        var empty = ByteBufferAllocator().buffer(capacity: 1)
        while true {
            output.reserveCapacity(minimumWritableBytes: 16 * 1024)
            do {
                try compressor.deflate(from: &empty, to: &output, flush: .finish)
                break
            } catch let error as CompressNIOError where error == .bufferOverflow {
                // zlib had more pending than fitted: what it wrote stays, give it more room.
                continue
            }
        }
        abandon()
        return output
    }

    /// Gives the compressor back to this thread's idle ones without ending the stream (a
    /// body whose client went away); the stream must not be used afterwards.
    func abandon() {
        guard (try? compressor.reset()) != nil else { return }
        let idle = Self.idle.currentValue ?? IdleCompressors()
        Self.idle.currentValue = idle
        idle.put(compressor, level: level)
    }

    private static let idle = ThreadSpecificVariable<IdleCompressors>()
}

/// One thread's reset compressors, by level. Only ever touched by the thread that owns it
/// (through `ThreadSpecificVariable`), hence unchecked.
private final class IdleCompressors: @unchecked Sendable {
    private var byLevel: [Int: ZlibCompressor] = [:]

    func take(level: Int) -> ZlibCompressor? { byLevel.removeValue(forKey: level) }

    func put(_ compressor: ZlibCompressor, level: Int) { byLevel[level] = compressor }
}
