import NIOCore

/// Where a served file's bytes come from: memory for small files, an open handle (sent with
/// `sendfile`) for large ones.
enum FileBody {
    case bytes(ByteBuffer)
    case file(NIOFileHandle)

    /// The bytes in `range` as body parts; none for an empty range.
    func parts(_ range: Range<Int>) -> [HTTPResponse.BodyPart] {
        guard !range.isEmpty else { return [] }
        switch self {
        case .bytes(let buffer):
            return [.bytes(buffer.getSlice(at: buffer.readerIndex + range.lowerBound, length: range.count)!)]
        case .file(let handle):
            return [.file(HTTPResponse.FileSlice(handle: handle, offset: range.lowerBound, count: range.count))]
        }
    }

    /// A `multipart/byteranges` body (RFC 9110 §14.6) with one part per range, each with its
    /// own `Content-Type` and `Content-Range`. In-memory contents become a single buffer; a
    /// file becomes buffers of part headers between slices that share the one handle.
    func multipart(_ ranges: [Range<Int>], size: Int, contentType: String, boundary: String)
        -> [HTTPResponse.BodyPart]
    {
        var parts: [HTTPResponse.BodyPart] = []
        var pending = ByteBufferAllocator().buffer(capacity: 256)
        for (index, range) in ranges.enumerated() {
            pending.writeString(index == 0 ? "--" : "\r\n--")
            pending.writeString(boundary)
            pending.writeString("\r\nContent-Type: \(contentType)\r\nContent-Range: ")
            pending.writeString(Self.contentRange(range, size: size))
            pending.writeString("\r\n\r\n")
            switch self {
            case .bytes(let buffer):
                pending.writeImmutableBuffer(buffer.getSlice(at: buffer.readerIndex + range.lowerBound, length: range.count)!)
            case .file:
                parts.append(.bytes(pending))
                parts += self.parts(range)
                pending = ByteBufferAllocator().buffer(capacity: 256)
            }
        }
        pending.writeString("\r\n--\(boundary)--\r\n")
        parts.append(.bytes(pending))
        return parts
    }

    /// The `Content-Range` value for `range` of a representation of `size` bytes.
    static func contentRange(_ range: Range<Int>, size: Int) -> String {
        "bytes \(range.lowerBound)-\(range.upperBound - 1)/\(size)"
    }
}
