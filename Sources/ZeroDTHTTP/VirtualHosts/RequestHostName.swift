import NIOCore

/// The host a request is for, as ``RequestHost`` reads it, made a `String` only when
/// something asks for it: choosing among servers by name, a handler's request, the scheme
/// redirect. A plain `Host` in a head the fast path read (nearly every request's) stays the
/// head's bytes, narrowed to the name, which a listener of one server answering with a fixed
/// response or a file never reads: making the name cost such a request about 4% of its
/// instructions.
struct RequestHostName: Equatable, Sendable {
    private enum Form: Sendable {
        case name(String)
        /// A name ``RequestHost/plainNameLength(_:)`` accepted, which is the name as it is.
        case bytes(ByteBuffer)
    }

    private let form: Form

    /// A name ``RequestHost`` read.
    init(_ name: String) {
        form = .name(name)
    }

    /// The name in the `Host` value at `range` of `buffer`'s readable bytes, where
    /// ``RequestHost/plainNameLength(_:)`` accepts the value; nil where it does not.
    init?(plainValueIn buffer: ByteBuffer, at range: Range<Int>) {
        let length = buffer.withUnsafeReadableBytes { bytes in
            UnsafeRawBufferPointer(rebasing: bytes[range]).withMemoryRebound(to: UInt8.self, RequestHost.plainNameLength)
        }
        guard let length else { return nil }
        // The buffer itself, its readable bytes narrowed to the name: a slice cost about 100
        // instructions, and would hold the same storage.
        var name = buffer
        name.moveReaderIndex(forwardBy: range.lowerBound)
        name.moveWriterIndex(to: name.readerIndex + length)
        form = .bytes(name)
    }

    /// The name: ASCII, lower-cased, without the port or a trailing dot. Made from the bytes
    /// at each call where it stayed in them: read it once where it is read at all.
    var name: String {
        switch form {
        case .name(let name): name
        case .bytes(let bytes): String(buffer: bytes)
        }
    }

    /// The same name, made a `String` now if it is still bytes, which hold on to the buffer
    /// they were read into.
    var detached: RequestHostName {
        guard case .bytes = form else { return self }
        return RequestHostName(name)
    }

    static func == (lhs: RequestHostName, rhs: RequestHostName) -> Bool {
        lhs.name == rhs.name
    }
}
