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
        writeLines(version: version, status: status, fields: nil, tail: nil, into: &buffer)
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
        // Room for the rendered fields too: a buffer grown for them was allocated twice.
        var buffer = allocator.buffer(capacity: 256 + (renderedHeaders?.readableBytes ?? 0) + extraCapacity)
        let tail = Tail(date: date, server: server, contentLength: contentLength, chunked: chunked,
                        connection: connection)
        if let renderedHeaders {
            // A head sent many times (a fixed response's) is copied in with one reservation.
            renderedHeaders.withUnsafeReadableBytes { fields in
                writeLines(version: version, status: status, fields: fields, tail: tail, into: &buffer)
            }
        } else {
            writeLines(version: version, status: status, fields: nil, tail: nil, into: &buffer)
            try forEachHandlerField(headers) { name, value in writeField(name, value, into: &buffer) }
            writeLines(version: nil, status: status, fields: nil, tail: tail, into: &buffer)
        }
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

    /// What follows a handler's fields: `Date`, `Server`, `Content-Length`,
    /// `Transfer-Encoding: chunked`, `Connection` and the blank line.
    private struct Tail {
        var date: String
        var server: String?
        var contentLength: Int?
        var chunked: Bool
        var connection: String?
    }

    /// Writes, with one capacity check, the status line (unless `version` is nil), `fields`
    /// (rendered ahead) and `tail`, each when given.
    private static func writeLines(version: HTTPVersion?, status: HTTPResponseStatus,
                                   fields: UnsafeRawBufferPointer?, tail: Tail?, into buffer: inout ByteBuffer) {
        // A code has three digits (RFC 9110 §15), written as bytes; any other number as it is.
        let code = Int(status.code)
        var digits = (100...999).contains(code) ? "" : String(code)
        var reason = version == nil ? "" : status.reasonPhrase
        var date = tail?.date ?? ""
        var server = tail?.server ?? ""
        var connection = tail?.connection ?? ""
        withUTF8(&reason, &date, &server, &connection) { reason, date, server, connection in
            // The fixed text of every line but the values, with room for a length's digits.
            let room = 128 + digits.utf8.count + reason.count + (fields?.count ?? 0) + date.count + server.count
                + connection.count
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: room) { memory in
                var line = LineWriter(memory)
                if let version {
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
                }
                if let fields { line.append(fields) }
                if let tail {
                    line.append("Date: ", date)
                    if tail.server != nil { line.append("Server: ", server) }
                    if let contentLength = tail.contentLength {
                        line.append("Content-Length: ")
                        line.appendDecimal(contentLength)
                        line.append("\r\n")
                    }
                    if tail.chunked { line.append("Transfer-Encoding: chunked\r\n") }
                    if tail.connection != nil { line.append("Connection: ", connection) }
                    line.append("\r\n")
                }
                return line.count
            }
        }
    }

    /// The contiguous UTF-8 of four strings at once (each made contiguous if it is not).
    private static func withUTF8<Result>(
        _ a: inout String, _ b: inout String, _ c: inout String, _ d: inout String,
        _ body: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>,
                 UnsafeBufferPointer<UInt8>) -> Result
    ) -> Result {
        a.withUTF8 { a in b.withUTF8 { b in c.withUTF8 { c in d.withUTF8 { d in body(a, b, c, d) } } } }
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

        @inline(__always)
        mutating func append(_ bytes: UnsafeRawBufferPointer) {
            UnsafeMutableRawBufferPointer(rebasing: memory[count...]).copyMemory(from: bytes)
            count += bytes.count
        }

        @inline(__always)
        mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
            append(UnsafeRawBufferPointer(bytes))
        }

        @inline(__always)
        mutating func append(_ text: StaticString) {
            text.withUTF8Buffer { append($0) }
        }

        @inline(__always)
        mutating func append(_ byte: UInt8) {
            memory[count] = byte
            count += 1
        }

        /// A field line: `name` (with its colon and space), `value`, CRLF.
        @inline(__always)
        mutating func append(_ name: StaticString, _ value: UnsafeBufferPointer<UInt8>) {
            append(name)
            append(value)
            append("\r\n")
        }

        /// `value` (not negative) in decimal.
        mutating func appendDecimal(_ value: Int) {
            var digits = 1
            var rest = value / 10
            while rest > 0 {
                digits += 1
                rest /= 10
            }
            rest = value
            for position in stride(from: count + digits - 1, through: count, by: -1) {
                memory[position] = UInt8(truncatingIfNeeded: 0x30 + rest % 10)
                rest /= 10
            }
            count += digits
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
