import NIOCore
import NIOHTTP1

/// Writes a response's status line and header block straight into a buffer: a response
/// carries a known `Content-Length`, no body, or is chunked as the connection decided, so
/// NIO's general-purpose encoder, with its chunking decisions and separate writes for head,
/// body and end, is not needed.
package enum ResponseHead {
    /// The headers the connection sets itself; a handler's own values for them are dropped.
    static let connectionManaged: Set<String> = ["content-length", "connection", "transfer-encoding"]

    /// `HTTP/1.1 100 Continue` and the blank line.
    static func interim(_ status: HTTPResponseStatus, version: HTTPVersion, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 32)
        writeStatusLine(version: version, status: status, into: &buffer)
        buffer.writeStaticString("\r\n")
        return buffer
    }

    /// The `Connection` value a response carries: `close` when the connection ends after
    /// it, `keep-alive` for HTTP/1.0 (which closes by default), none otherwise.
    static func connection(closing: Bool, version: HTTPVersion) -> String? {
        if closing { return "close" }
        return version.major == 1 && version.minor == 0 ? "keep-alive" : nil
    }

    /// A header (or reason phrase) a handler set that cannot go on the wire as it is.
    struct InvalidHeader: Error, CustomStringConvertible {
        /// `header "Name"` or `reason phrase`.
        var field: String
        var value: String

        var description: String {
            let shown = value.utf8.count > 80 ? String(decoding: value.utf8.prefix(80), as: UTF8.self) + "…" : value
            return "invalid response \(field): \(String(reflecting: shown))"
        }
    }

    /// The status line, `headers`, the connection-managed ones, and the blank line.
    ///
    /// Every header a handler set is checked here, the one place all responses pass: a name
    /// must be an RFC 9110 token, and a value (and the reason phrase) must hold no control
    /// character but tab, so that a value with CR or LF in it cannot add headers or a body
    /// of its own (response splitting).
    /// - Parameters:
    ///   - renderedHeaders: `headers` as ``render(_:)`` made them once, for a response sent
    ///     many times; then they are neither checked nor written again.
    ///   - chunked: whether the body follows as `Transfer-Encoding: chunked`.
    ///   - extraCapacity: room to reserve for a body appended afterwards.
    /// - Throws: `InvalidHeader` for the first header that fails the check.
    static func serialize(version: HTTPVersion, status: HTTPResponseStatus, headers: HTTPHeaders,
                          renderedHeaders: ByteBuffer? = nil, date: String, server: String?, contentLength: Int?,
                          chunked: Bool = false, connection: String?, extraCapacity: Int,
                          allocator: ByteBufferAllocator) throws(InvalidHeader) -> ByteBuffer {
        // NIO's own statuses carry its constant phrases: only a custom one can be bad.
        if case .custom(_, let reasonPhrase) = status { try check(reasonPhrase: reasonPhrase) }
        var buffer = allocator.buffer(capacity: 256 + extraCapacity)
        writeStatusLine(version: version, status: status, into: &buffer)
        if var renderedHeaders {
            buffer.writeBuffer(&renderedHeaders)
        } else {
            try forEachHandlerField(headers) { name, value in writeField(name, value, into: &buffer) }
        }
        forEachConnectionField(date: date, server: server, contentLength: contentLength) { name, value in
            writeField(name, value, into: &buffer)
        }
        if chunked { writeField("Transfer-Encoding", "chunked", into: &buffer) }
        if let connection { writeField("Connection", connection, into: &buffer) }
        buffer.writeStaticString("\r\n")
        return buffer
    }

    /// A handler's `headers` as `serialize` writes them, made once for a response that is
    /// sent many times (``HTTPResponse/renderedHeaders``).
    /// - Throws: `InvalidHeader` for the first header that fails the check.
    static func render(_ headers: HTTPHeaders) throws(InvalidHeader) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: 64)
        try forEachHandlerField(headers) { name, value in writeField(name, value, into: &buffer) }
        return buffer
    }

    /// The fields of a response head but `Connection`, in order, as every protocol's writer
    /// sends them: a handler's headers (each checked, the connection-managed ones dropped),
    /// then `Date`, `Server` and `Content-Length`, named in `lowercase` for HTTP/2.
    /// - Throws: `InvalidHeader` for the first handler's header that fails the check.
    static func forEachField(headers: HTTPHeaders, date: String, server: String?, contentLength: Int?,
                             lowercase: Bool = false,
                             _ field: (_ name: String, _ value: String) -> Void) throws(InvalidHeader) {
        try forEachHandlerField(headers, field)
        forEachConnectionField(date: date, server: server, contentLength: contentLength, lowercase: lowercase, field)
    }

    /// A handler's headers, each checked, the connection-managed ones dropped.
    private static func forEachHandlerField(_ headers: HTTPHeaders,
                                            _ field: (_ name: String, _ value: String) -> Void) throws(InvalidHeader) {
        for (name, value) in headers where !isConnectionManaged(name) {
            try check(name: name, value: value)
            field(name, value)
        }
    }

    /// `Date`, `Server` and `Content-Length`, the fields that follow a handler's.
    private static func forEachConnectionField(date: String, server: String?, contentLength: Int?,
                                               lowercase: Bool = false,
                                               _ field: (_ name: String, _ value: String) -> Void) {
        field(lowercase ? "date" : "Date", date)
        if let server { field(lowercase ? "server" : "Server", server) }
        if let contentLength { field(lowercase ? "content-length" : "Content-Length", String(contentLength)) }
    }

    /// Whether `name` is one of `connectionManaged`, in any case, without making a
    /// lower-cased copy of every header name of every response.
    static func isConnectionManaged(_ name: String) -> Bool {
        connectionManaged.contains { name.isASCIICaseInsensitiveEqual(to: $0) }
    }

    /// The check `serialize` makes of a handler's header, for protocols that frame headers
    /// elsewhere (HTTP/2): a header that would split an HTTP/1.1 response is refused there too.
    static func check(name: String, value: String) throws(InvalidHeader) {
        guard isToken(name), isFieldValue(value) else {
            throw InvalidHeader(field: "header \(String(reflecting: name))", value: value)
        }
    }

    /// The check `serialize` makes of a reason phrase.
    static func check(reasonPhrase: String) throws(InvalidHeader) {
        guard isFieldValue(reasonPhrase) else { throw InvalidHeader(field: "reason phrase", value: reasonPhrase) }
    }

    // Each line is written with one capacity check and plain copies: `writeString` checks
    // (and may grow) the buffer per call, four or five times a line of every response.

    private static func writeStatusLine(version: HTTPVersion, status: HTTPResponseStatus, into buffer: inout ByteBuffer) {
        // A code has three digits (RFC 9110 §15), written as bytes; any other number as it is.
        let code = Int(status.code)
        var digits = (100...999).contains(code) ? "" : String(code)
        var reason = status.reasonPhrase
        _ = reason.withUTF8 { reason in
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 15 + digits.utf8.count + reason.count) { memory in
                var line = LineWriter(memory)
                line.append(version.minor == 0 ? "HTTP/1.0 " : "HTTP/1.1 ")
                if digits.isEmpty {
                    line.append(UInt8(truncatingIfNeeded: 0x30 + code / 100))
                    line.append(UInt8(truncatingIfNeeded: 0x30 + code / 10 % 10))
                    line.append(UInt8(truncatingIfNeeded: 0x30 + code % 10))
                } else {
                    digits.withUTF8 { line.append($0) }
                }
                line.append(UInt8(ascii: " "))
                line.append(reason)
                line.append("\r\n")
                return line.count
            }
        }
    }

    private static func writeField(_ name: String, _ value: String, into buffer: inout ByteBuffer) {
        var name = name
        var value = value
        _ = name.withUTF8 { name in
            value.withUTF8 { value in
                buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: name.count + value.count + 4) { memory in
                    var line = LineWriter(memory)
                    line.append(name)
                    line.append(": ")
                    line.append(value)
                    line.append("\r\n")
                    return line.count
                }
            }
        }
    }

    /// Appends bytes to memory the caller has reserved enough of.
    private struct LineWriter {
        let memory: UnsafeMutableRawBufferPointer
        var count = 0

        init(_ memory: UnsafeMutableRawBufferPointer) {
            self.memory = memory
        }

        mutating func append(_ bytes: UnsafeRawBufferPointer) {
            UnsafeMutableRawBufferPointer(rebasing: memory[count...]).copyMemory(from: bytes)
            count += bytes.count
        }

        mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
            append(UnsafeRawBufferPointer(bytes))
        }

        mutating func append(_ text: StaticString) {
            text.withUTF8Buffer { append($0) }
        }

        mutating func append(_ byte: UInt8) {
            memory[count] = byte
            count += 1
        }
    }

    /// RFC 9110 §5.6.2: one or more of ``!#$%&'*+-.^_`|~``, digits and letters.
    package static func isToken(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy(\.isTokenCharacter)
    }

    /// RFC 9110 §5.5: visible characters, spaces, tabs and non-ASCII bytes; no CR, LF, NUL
    /// or other control character.
    package static func isFieldValue(_ text: String) -> Bool {
        text.utf8.allSatisfy { byte in byte >= 0x20 ? byte != 0x7F : byte == UInt8(ascii: "\t") }
    }
}
