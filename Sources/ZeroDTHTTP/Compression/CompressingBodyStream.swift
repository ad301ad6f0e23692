#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// A response body compressed as it is sent: each `next()` takes the next slice of the
/// unencoded body (`sliceSize(level:)` bytes of a buffer, or read from a file), compresses
/// it, and returns what zlib produced (often nothing for a slice: zlib emits in blocks). The
/// compressor is made at the first piece, so a `HEAD` (never read) costs none; `close`
/// closes the body's files and gives the compressor back.
///
/// `compressAll` runs the same reading to the end at once, for bodies small enough to be
/// sent with their `Content-Length`.
final class CompressingBodyStream: ResponseBodyStream, @unchecked Sendable {
    /// Unencoded bytes compressed per piece, so that a piece holds the event loop for about a
    /// millisecond at most: zlib takes 0.5–1 ms per 64 KiB of text at level 1, about four
    /// times that at 6, and up to 25 times at 9 (measured with markup-like text; 4 times for
    /// text that compresses less).
    static func sliceSize(level: Int) -> Int {
        switch level {
        case ...3: return 64 * 1024
        case ...6: return 16 * 1024
        default: return 4 * 1024
        }
    }

    private let parts: [HTTPResponse.BodyPart]
    private let level: Int
    private let sliceSize: Int
    /// The part being read, and how far into it.
    private var partIndex = 0
    private var offset = 0
    private var gzip: GzipStream?
    private var finished = false
    private var closed = false

    /// A stream of `parts` compressed at `level`; it owns their files from now on.
    init(parts: [HTTPResponse.BodyPart], level: Int) {
        self.parts = parts
        self.level = level
        self.sliceSize = Self.sliceSize(level: level)
    }

    func next() throws -> ByteBuffer? {
        guard !finished else { return nil }
        if gzip == nil { gzip = try GzipStream(level: level, expectedInput: sliceSize) }
        guard let slice = try nextSlice() else {
            finished = true
            defer { gzip = nil }
            return try gzip!.finish()
        }
        try gzip!.compress(slice)
        return gzip!.takeOutput()
    }

    /// The whole body compressed, in one buffer.
    func compressAll(expectedSize: Int) throws -> ByteBuffer {
        var gzip = try GzipStream(level: level, expectedInput: expectedSize)
        while let slice = try nextSlice() { try gzip.compress(slice) }
        finished = true
        return try gzip.finish()
    }

    func close() {
        guard !closed else { return }
        closed = true
        gzip?.abandon()
        gzip = nil
        finished = true
        fileHandles.forEach { try? $0.close() }
    }

    /// The files the body is read from.
    var fileHandles: [NIOFileHandle] { HTTPResponse.fileHandles(of: parts) }

    /// The next at most `sliceSize` unencoded bytes, or nil at the end of the body.
    private func nextSlice() throws -> ByteBuffer? {
        while partIndex < parts.count {
            let remaining = parts[partIndex].count - offset
            guard remaining > 0 else {
                partIndex += 1
                offset = 0
                continue
            }
            let length = min(remaining, sliceSize)
            let slice: ByteBuffer
            switch parts[partIndex] {
            case .bytes(let buffer):
                slice = buffer.getSlice(at: buffer.readerIndex + offset, length: length)!
            case .file(let file):
                slice = try Self.read(file, at: file.offset + offset, count: length)
            }
            offset += slice.readableBytes
            return slice
        }
        return nil
    }

    /// Reads up to `count` bytes at `offset`; a file that ends early is an error, since the
    /// response promised its bytes (the headers were sent for them).
    private static func read(_ file: HTTPResponse.FileSlice, at offset: Int, count: Int) throws -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: count)
        try file.handle.withUnsafeFileDescriptor { descriptor in
            let read = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { memory in
                var result: Int
                repeat {
                    result = pread(descriptor, memory.baseAddress!, count, off_t(offset))
                } while result < 0 && errno == EINTR
                return max(result, 0)
            }
            guard read > 0 else { throw IOError(errnoCode: EIO, reason: "pread: file shorter than its response") }
        }
        return buffer
    }
}
