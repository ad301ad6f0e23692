import NIOCore
import NIOHTTP1

/// The fast path of HTTP/1 request parsing: reads the head of a plain request without a
/// body — `GET` or `HEAD`, an origin-form target, `HTTP/1.1` or `HTTP/1.0`, CRLF line ends,
/// headers without `Content-Length`, `Transfer-Encoding`, `Upgrade` or `Proxy-Connection` —
/// straight from the bytes, which is nearly every request a web server gets. Anything else, or anything it is
/// not sure of, it leaves to NIO's decoder (`other`), which then sees the very bytes it
/// would have seen without this: so what this accepts is a subset of what the decoder
/// accepts, parsed to the same head, and every refusal (and its status) stays the decoder's.
enum SimpleRequestHead: Equatable {
    /// A whole head, `length` bytes with its blank line; the request has no body.
    case head(CompactRequestHead, length: Int)
    /// The bytes so far can start a simple head: wait for more.
    case incomplete
    /// Not a simple head (or too long to be one): the decoder must read it.
    case other

    /// Parses the head at the start of `buffer`'s readable bytes, at most `maxLength` bytes
    /// long (the `max_header_size`: a longer head is the decoder's to refuse, 414 or 431).
    static func parse(_ buffer: ByteBuffer, maxLength: Int) -> SimpleRequestHead {
        buffer.withUnsafeReadableBytes { bytes in
            var scanner = Scanner(bytes: bytes, limit: min(bytes.count, maxLength))
            do throws(Stop) {
                try scanner.head()
            } catch .needsMore {
                return bytes.count < maxLength ? .incomplete : .other
            } catch {
                return .other
            }
            let head = CompactRequestHead(bytes: buffer.getSlice(at: buffer.readerIndex, length: scanner.index)!,
                                          method: scanner.method, version: scanner.version, uri: scanner.uri,
                                          fieldsStart: scanner.fieldsStart, fields: scanner.fields)
            return .head(head, length: scanner.index)
        }
    }

    private enum Stop: Error {
        /// The bytes ran out before the head did.
        case needsMore
        /// Something this parser leaves to the decoder.
        case notSimple
    }

    private struct Scanner {
        let bytes: UnsafeRawBufferPointer
        /// Where the bytes this parser may read end.
        let limit: Int
        /// Where it has read to: past the head once `head()` returns.
        var index = 0
        var method = HTTPMethod.GET
        var version = HTTPVersion.http1_1
        var uri = ""
        var fieldsStart = 0
        var fields = CompactRequestHead.Fields()

        mutating func head() throws(Stop) {
            method = try readMethod()
            let target = try run(while: Self.isTargetByte)
            guard target.count > 0, bytes[target.lowerBound] == UInt8(ascii: "/") else { throw .notSimple }
            try expect(" HTTP/1.")
            let minor = try byte()
            guard minor == UInt8(ascii: "1") || minor == UInt8(ascii: "0") else { throw .notSimple }
            try expect("\r\n")
            version = minor == UInt8(ascii: "1") ? .http1_1 : .http1_0
            uri = String(decoding: bytes[target], as: UTF8.self)
            fieldsStart = index
            while try peek() != UInt8(ascii: "\r") {
                try field()
            }
            try expect("\r\n")
        }

        /// `GET ` or `HEAD `.
        private mutating func readMethod() throws(Stop) -> HTTPMethod {
            if try peek() == UInt8(ascii: "G") {
                try expect("GET ")
                return .GET
            }
            try expect("HEAD ")
            return .HEAD
        }

        /// `name: value` and its CRLF, noting what the server acts on. The value loses the
        /// whitespace before it, as the decoder's does; whitespace after it, an empty value
        /// (which may be an obs-fold's first line) and the fields that frame a body, switch
        /// protocols or (for llhttp) keep or close the connection besides `Connection` are the
        /// decoder's.
        private mutating func field() throws(Stop) {
            let name = try run(while: \.isTokenCharacter)
            guard name.count > 0 else { throw .notSimple }
            try expect(":")
            _ = try run(while: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") })
            let value = try run(while: Self.isValueByte)
            try expect("\r\n")
            guard value.count > 0, bytes[value.upperBound - 1] != UInt8(ascii: " "),
                  bytes[value.upperBound - 1] != UInt8(ascii: "\t"), !Self.framesOrUpgrades(bytes[name]) else {
                throw .notSimple
            }
            note(name: bytes[name], value: value)
            fields.mayHoldPreconditionOrRange = fields.mayHoldPreconditionOrRange
                || StaticFileHandler.mayNamePreconditionOrRange(bytes[name])
        }

        /// What `RequestHeadCheck` and NIO's keep-alive reading look for, by the name's length
        /// first: each field is compared with at most one name.
        private mutating func note(name: Slice<UnsafeRawBufferPointer>, value: Range<Int>) {
            switch name.count {
            case 4 where name.isASCIICaseInsensitiveEqual(to: "host"):
                fields.host = value
                fields.hostCount += 1
                fields.hostIsList = fields.hostIsList || bytes[value].contains(UInt8(ascii: ","))
            case 10 where name.isASCIICaseInsensitiveEqual(to: "connection"):
                fields.connectionTokens = Self.connectionTokens(bytes[value], after: fields.connectionTokens)
            case 6 where fields.expectsContinue == nil && name.isASCIICaseInsensitiveEqual(to: "expect"):
                fields.expectsContinue = bytes[value].isASCIICaseInsensitiveEqual(to: "100-continue")
            default:
                break
            }
        }

        /// NIO's reading of `value`'s comma-separated tokens (without the whitespace around
        /// them), after the fields before it said `state`.
        private static func connectionTokens(_ value: Slice<UnsafeRawBufferPointer>,
                                             after state: CompactRequestHead.ConnectionTokens?)
            -> CompactRequestHead.ConnectionTokens? {
            var state = state
            var start = value.startIndex
            // Token by token, not `split`: that made an array for every such field.
            while start < value.endIndex {
                let end = value[start...].firstIndex(of: UInt8(ascii: ",")) ?? value.endIndex
                let token = value[start..<end].trimmingOptionalWhitespace()
                if token.isASCIICaseInsensitiveEqual(to: "close") {
                    state = .close
                } else if token.isASCIICaseInsensitiveEqual(to: "keep-alive") {
                    state = state == nil ? .keepAlive : .close
                }
                start = end + 1
            }
            return state
        }

        /// `content-length`, `transfer-encoding` or `upgrade`, in any case; or
        /// `proxy-connection`, which llhttp reads as `Connection` (a `close` in it closes the
        /// connection after a decoded request) and NIO's judgement of a head's fields does
        /// not. (By length first, and against static bytes: a search of an array of strings
        /// made the array and walked each string's UTF-8 view for every field of every request.)
        private static func framesOrUpgrades(_ name: Slice<UnsafeRawBufferPointer>) -> Bool {
            switch name.count {
            case 14: return name.isASCIICaseInsensitiveEqual(to: "content-length")
            case 16: return name.isASCIICaseInsensitiveEqual(to: "proxy-connection")
            case 17: return name.isASCIICaseInsensitiveEqual(to: "transfer-encoding")
            case 7: return name.isASCIICaseInsensitiveEqual(to: "upgrade")
            default: return false
            }
        }

        private func peek() throws(Stop) -> UInt8 {
            guard index < limit else { throw .needsMore }
            return bytes[index]
        }

        private mutating func byte() throws(Stop) -> UInt8 {
            let byte = try peek()
            index += 1
            return byte
        }

        /// The exact bytes of `text`; a prefix of them at the end of the input needs more.
        private mutating func expect(_ text: StaticString) throws(Stop) {
            for expected in UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount) {
                guard try byte() == expected else { throw .notSimple }
            }
        }

        /// The bytes from here that satisfy `accepts`; it must end before the input does.
        private mutating func run(while accepts: (UInt8) -> Bool) throws(Stop) -> Range<Int> {
            let start = index
            while try accepts(peek()) { index += 1 }
            return start..<index
        }

        /// Visible ASCII, spaces and tabs: obs-text and control characters are the decoder's.
        private static func isValueByte(_ byte: UInt8) -> Bool {
            (0x20...0x7E).contains(byte) || byte == UInt8(ascii: "\t")
        }

        /// RFC 3986 path and query characters (unreserved, sub-delims, `:@/?%`): no
        /// fragment, no character a URI may not hold. (Ranges, not a search of a string of
        /// them: this runs for every byte of every target.)
        private static func isTargetByte(_ byte: UInt8) -> Bool {
            switch byte {
            // ! and $ to ; (with digits), =, ? to Z (with @), _, a to z, ~.
            case 0x21, 0x24...0x3B, 0x3D, 0x3F...0x5A, 0x5F, 0x61...0x7A, 0x7E: return true
            default: return false
            }
        }
    }
}

extension UInt8 {
    /// Whether this is an RFC 9110 §5.6.2 token character: ``!#$%&'*+-.^_`|~``, digits and
    /// letters. (Ranges, not a search of a string of them: this runs for every byte of every
    /// header name.)
    var isTokenCharacter: Bool {
        switch self {
        // ! # to ' * + - . digits letters ^ _ ` | ~
        case 0x21, 0x23...0x27, 0x2A, 0x2B, 0x2D, 0x2E, 0x30...0x39, 0x41...0x5A, 0x5E...0x7A, 0x7C, 0x7E: return true
        default: return false
        }
    }
}
