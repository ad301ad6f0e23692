import NIOCore
import NIOHTTP1

/// Writes a response's status line and header block straight into a buffer: every response
/// carries a known `Content-Length` (or no body), so NIO's general-purpose encoder, with
/// its chunking decisions and separate writes for head, body and end, is not needed.
enum ResponseHead {
    /// The headers the connection sets itself; a handler's own values for them are dropped.
    private static let connectionManaged: Set<String> = ["content-length", "connection", "transfer-encoding"]

    /// `HTTP/1.1 100 Continue` and the blank line.
    static func interim(_ status: HTTPResponseStatus, version: HTTPVersion, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 32)
        writeStatusLine(version: version, status: status, into: &buffer)
        buffer.writeStaticString("\r\n")
        return buffer
    }

    /// The status line, `headers`, the connection-managed ones, and the blank line.
    /// - Parameter extraCapacity: room to reserve for a body appended afterwards.
    static func serialize(version: HTTPVersion, status: HTTPResponseStatus, headers: HTTPHeaders,
                          date: String, server: String?, contentLength: Int?, connection: String?,
                          extraCapacity: Int, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 256 + extraCapacity)
        writeStatusLine(version: version, status: status, into: &buffer)
        for (name, value) in headers where !connectionManaged.contains(name.lowercased()) {
            writeField(name, value, into: &buffer)
        }
        writeField("Date", date, into: &buffer)
        if let server { writeField("Server", server, into: &buffer) }
        if let contentLength { writeField("Content-Length", String(contentLength), into: &buffer) }
        if let connection { writeField("Connection", connection, into: &buffer) }
        buffer.writeStaticString("\r\n")
        return buffer
    }

    private static func writeStatusLine(version: HTTPVersion, status: HTTPResponseStatus, into buffer: inout ByteBuffer) {
        buffer.writeStaticString(version.minor == 0 ? "HTTP/1.0 " : "HTTP/1.1 ")
        buffer.writeString(String(status.code))
        buffer.writeStaticString(" ")
        buffer.writeString(status.reasonPhrase)
        buffer.writeStaticString("\r\n")
    }

    private static func writeField(_ name: String, _ value: String, into buffer: inout ByteBuffer) {
        buffer.writeString(name)
        buffer.writeStaticString(": ")
        buffer.writeString(value)
        buffer.writeStaticString("\r\n")
    }
}
