#if canImport(Glibc)
import Glibc
#endif
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
            let targetEnd = try end(ofRunFrom: index, while: \.isTargetCharacter)
            guard targetEnd > index, bytes[index] == UInt8(ascii: "/") else { throw .notSimple }
            let target = index..<targetEnd
            index = targetEnd
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
            let nameEnd = try end(ofRunFrom: index, while: \.isTokenCharacter)
            guard nameEnd > index else { throw .notSimple }
            let name = UnsafeRawBufferPointer(rebasing: bytes[index..<nameEnd])
            index = nameEnd
            try expect(":")
            index = try end(ofRunFrom: index, while: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") })
            let value = index..<(try endOfValue())
            index = value.upperBound
            try expect("\r\n")
            let fieldName = FieldName(name)
            guard let last = value.last, bytes[last] != UInt8(ascii: " "), bytes[last] != UInt8(ascii: "\t"),
                  fieldName != .framesOrUpgrades else {
                throw .notSimple
            }
            note(fieldName, value: value)
            fields.mayHoldPreconditionOrRange = fields.mayHoldPreconditionOrRange
                || StaticFileHandler.mayNamePreconditionOrRange(name)
        }

        /// What `RequestHeadCheck` and NIO's keep-alive reading look for.
        private mutating func note(_ name: FieldName, value: Range<Int>) {
            switch name {
            case .host:
                fields.host = value
                fields.hostCount += 1
                // `memchr`, not a generic search of the slice: about 14 instructions a byte.
                fields.hostIsList = fields.hostIsList
                    || memchr(bytes.baseAddress! + value.lowerBound, Int32(UInt8(ascii: ",")), value.count) != nil
            case .connection:
                fields.connectionTokens = Self.connectionTokens(bytes[value], after: fields.connectionTokens)
            case .expect where fields.expectsContinue == nil:
                fields.expectsContinue = bytes[value].isASCIICaseInsensitiveEqual(to: "100-continue")
            case .expect, .framesOrUpgrades, .other:
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
        /// Inlined, so that where all of `text` can be there its comparison is one of a
        /// constant length, which the compiler makes a load or two (a loop of `byte()` cost
        /// about 12 instructions a byte).
        @inline(__always)
        private mutating func expect(_ text: StaticString) throws(Stop) {
            let count = text.utf8CodeUnitCount
            guard limit - index >= count else {
                // The input ends inside `text`: a wrong byte before that end is still wrong.
                let available = limit - index
                guard available == 0 || memcmp(bytes.baseAddress! + index, text.utf8Start, available) == 0 else {
                    throw .notSimple
                }
                throw .needsMore
            }
            guard memcmp(bytes.baseAddress! + index, text.utf8Start, count) == 0 else { throw .notSimple }
            index += count
        }

        /// Where the run of bytes from `start` that `accepts` takes ends; the run must end
        /// before the input does. Inlined with `accepts`, it is a plain index loop, with one
        /// bounds check for eight bytes while eight remain: no call and no error check per
        /// byte (a throwing `peek` and a closure per byte cost the parse about 38
        /// instructions a byte).
        @inline(__always)
        private func end(ofRunFrom start: Int, while accepts: (UInt8) -> Bool) throws(Stop) -> Int {
            var end = start
            while limit - end >= 8 {
                for offset in 0..<8 where !accepts(bytes[end + offset]) {
                    return end + offset
                }
                end += 8
            }
            while end < limit {
                guard accepts(bytes[end]) else { return end }
                end += 1
            }
            throw .needsMore
        }

        /// Where the value from `index` ends: at its first byte that is not visible ASCII, a
        /// space or a tab (its CR, in a simple head). Most of a value is visible ASCII and
        /// spaces, so it goes eight bytes at a time while eight are: in `word - 0x20…` a byte
        /// below 0x20 (a control character, the CR, a tab) takes a borrow into its top bit,
        /// which `& ~word` keeps only where the byte was below 0x80, and bytes below it do
        /// not borrow; in `(word + 0x01…) | word` a byte above 0x7E has its top bit set.
        /// The bytes from the first word with either go one at a time.
        private func endOfValue() throws(Stop) -> Int {
            var end = index
            while limit - end >= 8 {
                let word = bytes.loadUnaligned(fromByteOffset: end, as: UInt64.self)
                let below = (word &- 0x2020_2020_2020_2020) & ~word
                let above = (word &+ 0x0101_0101_0101_0101) | word
                guard (below | above) & 0x8080_8080_8080_8080 == 0 else { break }
                end += 8
            }
            return try self.end(ofRunFrom: end, while: Self.isValueByte)
        }

        /// Visible ASCII, spaces and tabs: obs-text and control characters are the decoder's.
        private static func isValueByte(_ byte: UInt8) -> Bool {
            (0x20...0x7E).contains(byte) || byte == UInt8(ascii: "\t")
        }
    }

    /// The fields the parser acts on or leaves to the decoder, by their names in any case.
    private enum FieldName {
        case host
        case connection
        case expect
        /// `content-length`, `transfer-encoding` or `upgrade`; or `proxy-connection`, which
        /// llhttp reads as `Connection` (a `close` in it closes the connection after a
        /// decoded request) and NIO's judgement of a head's fields does not.
        case framesOrUpgrades
        case other

        /// By the name's length and first letter, so that a field is compared with at most
        /// one name, and most with none (a name compared with each of its length cost
        /// about 80 instructions a comparison).
        init(_ name: UnsafeRawBufferPointer) {
            let candidate: (name: StaticString, is: FieldName)
            switch (name.count, name[0].asciiLowercased) {
            case (4, UInt8(ascii: "h")): candidate = ("host", .host)
            case (10, UInt8(ascii: "c")): candidate = ("connection", .connection)
            case (6, UInt8(ascii: "e")): candidate = ("expect", .expect)
            case (14, UInt8(ascii: "c")): candidate = ("content-length", .framesOrUpgrades)
            case (16, UInt8(ascii: "p")): candidate = ("proxy-connection", .framesOrUpgrades)
            case (17, UInt8(ascii: "t")): candidate = ("transfer-encoding", .framesOrUpgrades)
            case (7, UInt8(ascii: "u")): candidate = ("upgrade", .framesOrUpgrades)
            default:
                self = .other
                return
            }
            self = name.isASCIICaseInsensitiveEqual(to: candidate.name) ? candidate.is : .other
        }
    }
}

extension UInt8 {
    /// Whether this is an RFC 9110 §5.6.2 token character: ``!#$%&'*+-.^_`|~``, digits and
    /// letters.
    var isTokenCharacter: Bool {
        isInASCIISet(low: 0x03FF_6CFA_0000_0000, high: 0x57FF_FFFF_C7FF_FFFE)
    }

    /// Whether this is an RFC 3986 path or query character (unreserved, sub-delims,
    /// `:@/?%`): no fragment, no character a URI may not hold.
    var isTargetCharacter: Bool {
        isInASCIISet(low: 0xAFFF_FFF2_0000_0000, high: 0x47FF_FFFE_87FF_FFFF)
    }

    /// Whether this is in the set of ASCII bytes whose bits `low` (bytes 0 to 63) and `high`
    /// (64 to 127) set: a shift and a test. (These run for every byte of every target and
    /// field name; a switch over the set's ranges took about 10 instructions a byte.)
    @inline(__always)
    private func isInASCIISet(low: UInt64, high: UInt64) -> Bool {
        self < 128 && ((self < 64 ? low : high) >> (self & 63)) & 1 == 1
    }
}
