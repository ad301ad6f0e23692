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
            let uri = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[scanner.target]), as: UTF8.self)
            // The buffer itself, its readable bytes narrowed to the head: a slice cost more.
            var headBytes = buffer
            headBytes.moveWriterIndex(to: buffer.readerIndex + scanner.index)
            let head = CompactRequestHead(bytes: headBytes,
                                          method: scanner.isHEAD ? .HEAD : .GET, version: scanner.version, uri: uri,
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

    /// What it reads, it keeps as plain values (no `String`, no `HTTPMethod`, whose copies
    /// and release cost about 100 instructions a head); `parse` makes the head of them.
    private struct Scanner {
        let bytes: UnsafeRawBufferPointer
        /// Where the bytes this parser may read end.
        let limit: Int
        /// Where it has read to: past the head once `head()` returns.
        var index = 0
        /// `HEAD`, else `GET`.
        var isHEAD = false
        var target = 0..<0
        var version = HTTPVersion.http1_1
        var fieldsStart = 0
        var fields = CompactRequestHead.Fields()

        mutating func head() throws(Stop) {
            try readMethod()
            // Mostly letters, digits, `-`, `.` and `/`.
            let targetEnd = try end(ofRunFrom: index, skippingWordsOf: UInt8(ascii: "-")...UInt8(ascii: "/"),
                                    while: \.isTargetCharacter)
            guard targetEnd > index, bytes[index] == UInt8(ascii: "/") else { throw .notSimple }
            target = index..<targetEnd
            index = targetEnd
            try expect(" HTTP/1.")
            let minor = try byte()
            guard minor == UInt8(ascii: "1") || minor == UInt8(ascii: "0") else { throw .notSimple }
            try expect("\r\n")
            version = minor == UInt8(ascii: "1") ? .http1_1 : .http1_0
            fieldsStart = index
            while try peek() != UInt8(ascii: "\r") {
                try field()
            }
            try expect("\r\n")
        }

        /// `GET ` or `HEAD `.
        private mutating func readMethod() throws(Stop) {
            if try peek() == UInt8(ascii: "G") {
                try expect("GET ")
            } else {
                try expect("HEAD ")
                isHEAD = true
            }
        }

        /// `name: value` and its CRLF, noting what the server acts on. The value loses the
        /// whitespace before it, as the decoder's does; whitespace after it, an empty value
        /// (which may be an obs-fold's first line) and the fields that frame a body, switch
        /// protocols or (for llhttp) keep or close the connection besides `Connection` are the
        /// decoder's, and so is a `Connection` with a tab in it: llhttp, whose answer stands
        /// for a request it decoded, takes no tab after a token (`keep-alive\t`), and a head
        /// must keep or close the connection alike on either path.
        private mutating func field() throws(Stop) {
            // Mostly letters, digits and `-`.
            let nameEnd = try end(ofRunFrom: index, skippingWordsOf: UInt8(ascii: "-")...UInt8(ascii: "."),
                                  while: \.isTokenCharacter)
            guard nameEnd > index else { throw .notSimple }
            let name = UnsafeRawBufferPointer(rebasing: bytes[index..<nameEnd])
            index = nameEnd
            try expect(":")
            // The whitespace before the value, a byte or none: byte by byte.
            while try Self.isWhitespace(peek()) { index += 1 }
            let value = index..<(try endOfValue(from: index))
            index = value.upperBound
            try expect("\r\n")
            let fieldName = FieldName(name)
            guard let last = value.last, !Self.isWhitespace(bytes[last]), fieldName != .framesOrUpgrades else {
                throw .notSimple
            }
            try note(fieldName, value: value)
            fields.mayHoldPreconditionOrRange = fields.mayHoldPreconditionOrRange
                || StaticFileHandler.mayNamePreconditionOrRange(name)
        }

        /// What `RequestHeadCheck` and NIO's keep-alive reading look for.
        @inline(__always)
        private mutating func note(_ name: FieldName, value: Range<Int>) throws(Stop) {
            switch name {
            case .host:
                fields.host = value
                fields.hostCount += 1
                // `memchr`, not a generic search of the slice: about 14 instructions a byte.
                fields.hostIsList = fields.hostIsList
                    || memchr(bytes.baseAddress! + value.lowerBound, Int32(UInt8(ascii: ",")), value.count) != nil
            case .connection:
                guard memchr(bytes.baseAddress! + value.lowerBound, Int32(UInt8(ascii: "\t")), value.count) == nil else {
                    throw .notSimple
                }
                fields.connectionTokens = Self.connectionTokens(UnsafeRawBufferPointer(rebasing: bytes[value]),
                                                                after: fields.connectionTokens,
                                                                saysClose: &fields.saysClose)
            case .expect where fields.expectsContinue == nil:
                fields.expectsContinue = UnsafeRawBufferPointer(rebasing: bytes[value]).isInAnyCase("100-continue")
            case .expect, .framesOrUpgrades, .other:
                break
            }
        }

        /// NIO's reading of `value`'s comma-separated tokens (without the whitespace around them),
        /// after the fields before it said `state`; `saysClose` is set for a `close`. Index by
        /// index: the generic searches and trimming of a slice cost about 500 instructions for
        /// `keep-alive`.
        private static func connectionTokens(_ value: UnsafeRawBufferPointer,
                                             after state: CompactRequestHead.ConnectionTokens?,
                                             saysClose: inout Bool) -> CompactRequestHead.ConnectionTokens? {
            var state = state
            var start = 0
            while start < value.count {
                var end = start
                while end < value.count, value[end] != UInt8(ascii: ",") { end += 1 }
                var first = start
                var last = end
                while first < last, isWhitespace(value[first]) { first += 1 }
                while last > first, isWhitespace(value[last - 1]) { last -= 1 }
                let token = UnsafeRawBufferPointer(rebasing: value[first..<last])
                if token.isInAnyCase("close") {
                    state = .close
                    saysClose = true
                } else if token.isInAnyCase("keep-alive") {
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
            // Wrapping arithmetic: `end` stays below `limit`, and checks for overflow cost
            // two instructions a byte.
            while limit &- end >= 8 {
                for offset in 0..<8 where !accepts(bytes[end &+ offset]) {
                    return end &+ offset
                }
                end &+= 8
            }
            while end < limit {
                guard accepts(bytes[end]) else { return end }
                end += 1
            }
            throw .needsMore
        }

        /// Where the run of bytes from `start` that `accepts` takes ends, as `end(ofRunFrom:while:)`
        /// finds it, first skipping eight bytes at a time while all eight are letters, digits
        /// or in `punctuation` (all of which `accepts` must take), as most of a target or a
        /// field name is: about two instructions a byte rather than nine.
        @inline(__always)
        private func end(ofRunFrom start: Int, skippingWordsOf punctuation: ClosedRange<UInt8>,
                         while accepts: (UInt8) -> Bool) throws(Stop) -> Int {
            var end = start
            while limit &- end >= 8 {
                // The first byte in memory in the lowest bits.
                let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: end, as: UInt64.self))
                let others = ~Self.lettersDigitsAnd(punctuation, in: word) & 0x8080_8080_8080_8080
                guard others == 0 else {
                    // From the first other byte on, byte by byte.
                    end &+= others.trailingZeroBitCount / 8
                    break
                }
                end &+= 8
            }
            return try self.end(ofRunFrom: end, while: accepts)
        }

        /// The top bit of each byte of `word` set if it is an ASCII letter, a digit or in
        /// `punctuation`, and clear if not; exactly so up to the first byte that is not, at
        /// least. `word + (0x80 - lower)…` sets the top bit of each byte from `lower` up,
        /// `word + (0x7F - upper)…` that of each byte above `upper`, and neither carries out
        /// of a byte below 0x80 (one from 0x80 up may carry into the bytes after it); `| 0x20`
        /// makes capitals small letters and moves no other byte below 0x80 into a to z.
        @inline(__always)
        private static func lettersDigitsAnd(_ punctuation: ClosedRange<UInt8>, in word: UInt64) -> UInt64 {
            func within(_ range: ClosedRange<UInt8>, _ word: UInt64) -> UInt64 {
                let ones: UInt64 = 0x0101_0101_0101_0101
                let fromLower = word &+ ones &* UInt64(0x80 - range.lowerBound)
                let aboveUpper = word &+ ones &* UInt64(0x7F - range.upperBound)
                return fromLower & ~aboveUpper
            }
            let ascii = ~word
            return ascii & (within(UInt8(ascii: "a")...UInt8(ascii: "z"), word | 0x2020_2020_2020_2020)
                | within(UInt8(ascii: "0")...UInt8(ascii: "9"), word) | within(punctuation, word))
        }

        /// Where the value from `start` ends: at its first byte that is not visible ASCII, a
        /// space or a tab (its CR, in a simple head). Eight bytes at a time while eight
        /// remain: the first byte of a word outside 0x20...0x7E is found at once, and only a
        /// tab lets the value go on after it.
        @inline(__always)
        private func endOfValue(from start: Int) throws(Stop) -> Int {
            var end = start
            while limit &- end >= 8 {
                // The first byte in memory in the lowest bits.
                let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: end, as: UInt64.self))
                // A byte below 0x20 takes a borrow into its top bit in `word - 0x20…`, which
                // `& ~word` keeps, as the byte is below 0x80; a byte above 0x7E has its top
                // bit set in `word + 0x01…` or in `word`. Bytes before the first such byte
                // neither borrow nor carry, so theirs stay clear.
                let outside = (((word &- 0x2020_2020_2020_2020) & ~word) | (word &+ 0x0101_0101_0101_0101) | word)
                    & 0x8080_8080_8080_8080
                guard outside != 0 else {
                    end &+= 8
                    continue
                }
                let first = end &+ outside.trailingZeroBitCount / 8
                guard bytes[first] == UInt8(ascii: "\t") else { return first }
                end = first &+ 1
            }
            return try self.end(ofRunFrom: end, while: Self.isValueByte)
        }

        private static func isWhitespace(_ byte: UInt8) -> Bool {
            byte.isOptionalWhitespace
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
        /// one name, and most with none.
        @inline(__always)
        init(_ name: UnsafeRawBufferPointer) {
            switch (name.count, name[0].asciiLowercased) {
            case (4, UInt8(ascii: "h")): self = name.isInAnyCase("host") ? .host : .other
            case (10, UInt8(ascii: "c")): self = name.isInAnyCase("connection") ? .connection : .other
            case (6, UInt8(ascii: "e")): self = name.isInAnyCase("expect") ? .expect : .other
            case (14, UInt8(ascii: "c")): self = name.isInAnyCase("content-length") ? .framesOrUpgrades : .other
            case (16, UInt8(ascii: "p")): self = name.isInAnyCase("proxy-connection") ? .framesOrUpgrades : .other
            case (17, UInt8(ascii: "t")): self = name.isInAnyCase("transfer-encoding") ? .framesOrUpgrades : .other
            case (7, UInt8(ascii: "u")): self = name.isInAnyCase("upgrade") ? .framesOrUpgrades : .other
            default: self = .other
            }
        }
    }
}

extension UnsafeRawBufferPointer {
    /// Whether these bytes, a field name's or value's (no control character but a tab), are
    /// `lowercase` (at least four small letters, digits and `-`) in any case. A word at a
    /// time, the last one overlapping the one before it (not byte by byte, which cost about
    /// 80 instructions a comparison): `| 0x20` on each byte makes a capital a small letter,
    /// and turns no other byte of a name or value into a small letter, digit or `-`.
    @inline(__always)
    fileprivate func isInAnyCase(_ lowercase: StaticString) -> Bool {
        let expected = UnsafeRawBufferPointer(start: lowercase.utf8Start, count: lowercase.utf8CodeUnitCount)
        guard count == expected.count else { return false }
        return count >= 8 ? words(areLowercase: expected, as: UInt64.self) : words(areLowercase: expected, as: UInt32.self)
    }

    @inline(__always)
    private func words<Word: FixedWidthInteger>(areLowercase expected: UnsafeRawBufferPointer, as _: Word.Type) -> Bool {
        let last = count - MemoryLayout<Word>.size
        let spaces = Word(truncatingIfNeeded: 0x2020_2020_2020_2020 as UInt64)
        var offset = 0
        while true {
            let at = Swift.min(offset, last)
            guard loadUnaligned(fromByteOffset: at, as: Word.self) | spaces
                == expected.loadUnaligned(fromByteOffset: at, as: Word.self) else {
                return false
            }
            if at == last { return true }
            offset += MemoryLayout<Word>.size
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
