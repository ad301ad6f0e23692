#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOHTTP1

/// A simple request's head as the fast path read it (``SimpleRequestHead``): its bytes, its
/// method, target and version, and what the server acts on in its fields, found in the same
/// pass. NIO's `HTTPRequestHead` (a `String` for every name and value) is made of it only
/// where something reads the fields (``head``): a request answered by a fixed response never
/// needs one.
struct CompactRequestHead: Equatable, Sendable {
    /// What the server acts on in a head's fields, noted as the fast path parses them.
    struct Fields: Equatable, Sendable {
        /// Where in the head the last `Host` value is (``RequestHeadCheck`` reads the last one).
        var host: Range<Int>?
        var hostCount = 0
        /// Whether a `Host` value holds a comma: a list, which names no single host.
        var hostIsList = false
        /// What the `Connection` tokens said so far; nil while none was `close` or `keep-alive`.
        var connectionTokens: ConnectionTokens?
        /// Whether a `Connection` token was `close`.
        var saysClose = false
        /// Nil without an `Expect` field; else whether the first one is `100-continue`.
        var expectsContinue: Bool?
        /// Whether a field's name may make it a precondition or `Range`
        /// (`StaticFileHandler.mayHoldPreconditionOrRange`).
        var mayHoldPreconditionOrRange = false
    }

    /// What NIO makes of `Connection` tokens (`HTTPHeaders.isKeepAlive`): a `close` closes; a
    /// single `keep-alive` keeps the connection; any second token of the two closes.
    enum ConnectionTokens: Sendable {
        case keepAlive
        case close
    }

    /// The head's bytes, from its method to its blank line: what was read, its readable
    /// bytes narrowed to them (sharing its storage, as a slice would).
    let bytes: ByteBuffer
    /// `GET` or `HEAD`.
    let method: HTTPMethod
    /// `HTTP/1.1` or `HTTP/1.0`.
    let version: HTTPVersion
    /// The origin-form target.
    let uri: String
    /// Where in `bytes` the first field starts (or the blank line, when there is none).
    let fieldsStart: Int
    let fields: Fields

    /// Whether the connection stays open after the response, as NIO reads the head
    /// (`HTTPRequestHead.isKeepAlive`): by its `Connection` tokens, else by the version.
    var keepAlive: Bool {
        guard let tokens = fields.connectionTokens else { return version == .http1_1 }
        return tokens == .keepAlive
    }

    /// The `Host` value, when there is one.
    var hostValue: String? {
        fields.host.map { bytes.getString(at: bytes.readerIndex + $0.lowerBound, length: $0.count)! }
    }

    /// The head as NIO's decoder makes it of the same bytes.
    var head: HTTPRequestHead {
        HTTPRequestHead(version: version, method: method, uri: uri, headers: HTTPHeaders(nameValuePairs))
    }

    /// The fields in order, each value without the whitespace before it (the fast path took
    /// none after it, nor a field without a colon).
    private var nameValuePairs: [(String, String)] {
        var pairs: [(String, String)] = []
        // Room for a browser's usual fields: grown from empty, the array was allocated
        // three times for three fields.
        pairs.reserveCapacity(16)
        forEachField { name, value in
            pairs.append((String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
        }
        return pairs
    }

    /// Calls `body` with the value of each field named `lowercaseName` (in any case), in
    /// order, without making a `String` of any field. Its name is compared where the colon
    /// must be: another field's colon is never looked for, nor its value.
    func forEachValue(ofFieldNamed lowercaseName: StaticString, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        let name = UnsafeRawBufferPointer(start: lowercaseName.utf8Start, count: lowercaseName.utf8CodeUnitCount)
        forEachLine { bytes, start, end in
            let colon = start + name.count
            guard colon < end, bytes[colon] == UInt8(ascii: ":"),
                  UnsafeRawBufferPointer(rebasing: bytes[start..<colon]).isASCIICaseInsensitiveEqual(to: name) else {
                return
            }
            UnsafeRawBufferPointer(rebasing: Self.value(in: bytes, after: colon, end: end))
                .withMemoryRebound(to: UInt8.self, body)
        }
    }

    /// Calls `body` with each field's name and value bytes, in order.
    private func forEachField(_ body: (Slice<UnsafeRawBufferPointer>, Slice<UnsafeRawBufferPointer>) -> Void) {
        forEachLine { bytes, start, end in
            let colon = Self.index(of: UInt8(ascii: ":"), in: bytes, from: start)
            body(bytes[start..<colon], Self.value(in: bytes, after: colon, end: end))
        }
    }

    /// Calls `body` with the head's bytes and where each field line starts and ends (at its
    /// CR). The parse left every field `name:value` with no CR but the one ending it:
    /// `memchr` finds it, where a loop a byte at a time took most of a precompressed file's
    /// lookup of `Accept-Encoding`.
    private func forEachLine(_ body: (UnsafeRawBufferPointer, Int, Int) -> Void) {
        bytes.withUnsafeReadableBytes { bytes in
            var start = fieldsStart
            while bytes[start] != UInt8(ascii: "\r") {
                let end = Self.index(of: UInt8(ascii: "\r"), in: bytes, from: start)
                body(bytes, start, end)
                start = end + 2
            }
        }
    }

    /// The value of the field line whose colon is at `colon`, without the whitespace before
    /// it (the parse left none after it).
    private static func value(in bytes: UnsafeRawBufferPointer, after colon: Int, end: Int) -> Slice<UnsafeRawBufferPointer> {
        var start = colon + 1
        while start < end, bytes[start].isOptionalWhitespace { start += 1 }
        return bytes[start..<end]
    }

    /// Where the first `byte` from `start` on is, which the head holds.
    private static func index(of byte: UInt8, in bytes: UnsafeRawBufferPointer, from start: Int) -> Int {
        let found = memchr(bytes.baseAddress! + start, Int32(byte), bytes.count - start)!
        return bytes.baseAddress!.distance(to: UnsafeRawPointer(found))
    }
}

/// A request's head as the connection received it: decoded by NIO (HTTP/1 requests the fast
/// path leaves to it, HTTP/2 streams), or read by the fast path, whose NIO form is made only
/// when something needs the fields (``head``).
struct ReceivedHead: Sendable {
    let method: HTTPMethod
    let version: HTTPVersion
    let uri: String
    /// The head as NIO decoded it, its field values trimmed (``HTTPRequestHead/trimmingFieldValues()``);
    /// nil for the fast path's.
    let decoded: HTTPRequestHead?
    private let compact: CompactRequestHead?
    /// For a head that came as NIO's parts (the HTTP/1 decoder's, an HTTP/2 stream's),
    /// whether NIO keeps the connection open after it, by the untrimmed fields (llhttp's
    /// reading, for the decoder's); nil for the fast path's.
    private let decoderKeepsAlive: Bool?
    /// Whether llhttp stopped parsing after this request, the HTTP/1 decoder's
    /// (``RequestLineMonitor/stopsDecoder(_:)``).
    let stopsDecoder: Bool

    init(_ head: HTTPRequestHead) {
        self.init(head, decoderKeepsAlive: nil, stopsDecoder: false)
    }

    /// A head NIO's HTTP/1 decoder made, its field values trimmed as the fast path's are.
    /// What llhttp made of the untrimmed ones is kept, as the decoder acts on it: whether
    /// the connection stays open (`Connection: keep-alive\t` is no `keep-alive` to it, and
    /// its parser refuses what follows a request it read as closing) and whether it stopped.
    init(decodedHTTP1 head: HTTPRequestHead) {
        self.init(head.trimmingFieldValues() ?? head, decoderKeepsAlive: head.isKeepAlive,
                  stopsDecoder: RequestLineMonitor.stopsDecoder(head))
    }

    private init(_ head: HTTPRequestHead, decoderKeepsAlive: Bool?, stopsDecoder: Bool) {
        (method, version, uri) = (head.method, head.version, head.uri)
        decoded = head
        compact = nil
        self.decoderKeepsAlive = decoderKeepsAlive
        self.stopsDecoder = stopsDecoder
    }

    init(_ head: CompactRequestHead) {
        (method, version, uri) = (head.method, head.version, head.uri)
        decoded = nil
        compact = head
        decoderKeepsAlive = nil
        stopsDecoder = false
    }

    /// Whether the connection stays open after the response, as NIO reads the head: for the
    /// HTTP/1 decoder's, by llhttp's answer. (Asked when needed: for a head NIO did not
    /// decode, such as an HTTP/2 stream's, NIO reads the fields for it.)
    var isKeepAlive: Bool {
        if let compact { return compact.keepAlive }
        return decoderKeepsAlive ?? decoded!.isKeepAlive
    }

    /// NIO's form, made now for the fast path's head.
    var head: HTTPRequestHead {
        decoded ?? compact!.head
    }

    /// Calls `body` with the value of each field named `lowercaseName` (in any case), in
    /// order: from the bytes, for the fast path's head.
    func forEachValue(ofFieldNamed lowercaseName: StaticString, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        if let compact { return compact.forEachValue(ofFieldNamed: lowercaseName, body) }
        let lowercase = lowercaseName.description
        for (name, value) in decoded!.headers where name.isASCIICaseInsensitiveEqual(to: lowercase) {
            var value = value
            value.withUTF8(body)
        }
    }

    /// Whether a field may be a precondition or `Range` (`StaticFileHandler`).
    var mayHoldPreconditionOrRange: Bool {
        compact?.fields.mayHoldPreconditionOrRange ?? StaticFileHandler.mayHoldPreconditionOrRange(decoded!.headers)
    }
}
