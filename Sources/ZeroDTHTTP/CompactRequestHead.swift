import NIOCore
import NIOHTTP1

/// A simple request's head as the fast path read it (``SimpleRequestHead``): its bytes, its
/// method, target and version, and what the server acts on in its fields, found in the same
/// pass. NIO's `HTTPRequestHead` (a `String` for every name and value) is made of it only
/// where something reads the fields (``head``): a request answered by a fixed response never
/// needs one.
struct CompactRequestHead: Equatable {
    /// The head's bytes, from its method to its blank line: a slice of what was read.
    let bytes: ByteBuffer
    /// `GET` or `HEAD`.
    let method: HTTPMethod
    /// `HTTP/1.1` or `HTTP/1.0`.
    let version: HTTPVersion
    /// The origin-form target.
    let uri: String
    /// Where in `bytes` the first field starts (or the blank line, when there is none).
    let fieldsStart: Int
    /// The last `Host` value's bytes (``RequestHeadCheck`` reads the last one), trimmed.
    let host: Range<Int>?
    /// How many `Host` fields there are.
    let hostCount: Int
    /// Whether a `Host` value holds a comma: a list, which names no single host.
    let hostIsList: Bool
    /// Whether there is a `Connection` field.
    let hasConnectionField: Bool
    /// Whether the connection stays open after the response, as NIO reads it
    /// (`HTTPRequestHead.isKeepAlive`): its `Connection` tokens, else the version's default.
    let keepAlive: Bool
    /// Whether the first `Expect` is `100-continue`.
    let expectsContinue: Bool

    /// The `Host` value, when there is one.
    var hostValue: String? {
        host.map { bytes.getString(at: bytes.readerIndex + $0.lowerBound, length: $0.count)! }
    }

    /// The head as NIO's decoder makes it of the same bytes.
    var head: HTTPRequestHead {
        HTTPRequestHead(version: version, method: method, uri: uri, headers: HTTPHeaders(fields))
    }

    /// The fields in order, each value without the whitespace before it (the fast path took
    /// none after it).
    private var fields: [(String, String)] {
        bytes.withUnsafeReadableBytes { bytes in
            var fields: [(String, String)] = []
            var index = fieldsStart
            while bytes[index] != UInt8(ascii: "\r") {
                let colon = bytes[index...].firstIndex(of: UInt8(ascii: ":"))!
                var valueStart = colon + 1
                while bytes[valueStart] == UInt8(ascii: " ") || bytes[valueStart] == UInt8(ascii: "\t") { valueStart += 1 }
                let end = bytes[valueStart...].firstIndex(of: UInt8(ascii: "\r"))!
                fields.append((String(decoding: bytes[index..<colon], as: UTF8.self),
                               String(decoding: bytes[valueStart..<end], as: UTF8.self)))
                index = end + 2
            }
            return fields
        }
    }
}

/// A request's head as the connection received it: decoded by NIO (HTTP/1 requests the fast
/// path leaves to it, HTTP/2 streams), or read by the fast path, whose NIO form is made only
/// when something needs the fields.
enum ReceivedHead {
    case decoded(HTTPRequestHead)
    case compact(CompactRequestHead)

    var method: HTTPMethod {
        switch self {
        case .decoded(let head): head.method
        case .compact(let head): head.method
        }
    }

    var version: HTTPVersion {
        switch self {
        case .decoded(let head): head.version
        case .compact(let head): head.version
        }
    }

    var uri: String {
        switch self {
        case .decoded(let head): head.uri
        case .compact(let head): head.uri
        }
    }

    /// NIO's form, made now for a compact head.
    var head: HTTPRequestHead {
        switch self {
        case .decoded(let head): head
        case .compact(let head): head.head
        }
    }

    /// Whether the connection stays open after the response, as NIO reads the head.
    var isKeepAlive: Bool {
        switch self {
        case .decoded(let head): head.isKeepAlive
        case .compact(let head): head.keepAlive
        }
    }
}
