import NIOCore

extension HTTPResponse {
    /// One write of a body.
    struct Write {
        var data: IOData
        /// A file chunk that ends before its slice does (so a later write follows it).
        var isFileChunk: Bool

        /// Whether it is sent with `sendfile`.
        var isFileRegion: Bool {
            if case .fileRegion = data { return true }
            return false
        }
    }

    /// The writes that send `parts`: buffers as they are, file slices as `sendfile` regions
    /// of at most `fileChunkSize` bytes, so that a slow but progressing reader can be told
    /// from a stalled one.
    static func writes(of parts: [BodyPart], fileChunkSize: Int) -> [Write] {
        var writes: [Write] = []
        for part in parts {
            switch part {
            case .bytes(let buffer):
                writes.append(Write(data: .byteBuffer(buffer), isFileChunk: false))
            case .file(let slice):
                var offset = slice.offset
                let end = slice.offset + slice.count
                while offset < end {
                    let chunkEnd = min(end, offset + fileChunkSize)
                    let region = FileRegion(fileHandle: slice.handle, readerIndex: offset, endIndex: chunkEnd)
                    writes.append(Write(data: .fileRegion(region), isFileChunk: chunkEnd < end))
                    offset = chunkEnd
                }
            }
        }
        return writes
    }
}
