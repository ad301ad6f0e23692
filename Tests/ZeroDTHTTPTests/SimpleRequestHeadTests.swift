import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing
@testable import ZeroDTHTTP

/// The fast path's parser: what it takes it must parse to the very head NIO's decoder makes
/// of the same bytes; everything else it must leave to the decoder.
@Suite struct SimpleRequestHeadTests {
    private static let limit = 1024

    private func parse(_ text: String, maxLength: Int = limit) -> SimpleRequestHead {
        SimpleRequestHead.parse(ByteBuffer(string: text), maxLength: maxLength)
    }

    /// The head NIO's decoder (as the server configures it) makes of `text`.
    private func decoderHead(_ text: String) throws -> HTTPRequestHead? {
        let channel = EmbeddedChannel()
        defer { _ = try? channel.finish() }
        try channel.pipeline.syncOperations.addHandler(RequestLineMonitor.decoder(maxHeaderSize: Self.limit))
        try channel.writeInbound(ByteBuffer(string: text))
        guard case .head(let head) = try channel.readInbound(as: HTTPServerRequestPart.self) else { return nil }
        return head
    }

    static let simple = [
        "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
        "GET /a/b%20c?x=1&y=%2F;z=(1)*+,!$'~_.-@: HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n",
        "HEAD /x HTTP/1.0\r\n\r\n",
        "GET /k HTTP/1.0\r\nConnection: keep-alive\r\nUser-Agent: curl/8.0 (x\tz)\r\n\r\n",
        "GET / HTTP/1.1\r\nhost:\t  a.example\r\nAccept: */*\r\nX-Weird_Name!#$%&'*+-.^`|~: \"quoted\"\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\nExpect: 100-continue\r\n\r\n",
        // Tabs and spaces inside values and before them; a value of one character.
        "GET / HTTP/1.1\r\nX-A:\t \tb\t c\r\nX-B: \t~\r\nX-C:x\r\nX-D:: d\r\n\r\n",
        // Capitals in the names acted on; names one letter from those refused, at their lengths.
        "HEAD /h HTTP/1.1\r\nHOST: a\r\nCONNECTION: Close\r\nEXPECT: 100-CONTINUE\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Lengtx: 1\r\nTransfer-Encodinx: a\r\nUpgradx: b\r\nProxy-Connectiox: c\r\n\r\n",
        // A browser's head.
        "GET /index.html?q=1 HTTP/1.1\r\nHost: www.example.com\r\n"
            + "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0\r\n"
            + "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8\r\n"
            + "Accept-Language: en-US,en;q=0.9\r\nAccept-Encoding: gzip, deflate, br\r\nCache-Control: max-age=0\r\n"
            + "Sec-Fetch-Dest: document\r\nSec-Fetch-Mode: navigate\r\nSec-Fetch-Site: none\r\nSec-Fetch-User: ?1\r\n"
            + "Upgrade-Insecure-Requests: 1\r\nIf-None-Match: \"abc\"\r\nConnection: keep-alive\r\n\r\n",
    ]

    @Test(arguments: simple)
    func aSimpleHeadIsParsedAsTheDecoderParsesIt(_ text: String) throws {
        guard case .head(let head, let length) = parse(text) else {
            Issue.record("not taken: \(text)")
            return
        }
        #expect(length == text.utf8.count)
        #expect(head.head == (try decoderHead(text)))
    }

    /// Heads whose fields the server acts on: `Host` (one, several, a list, invalid, with
    /// capitals and a port), `Connection` tokens, `Expect`.
    static let acted = simple + [
        "GET / HTTP/1.1\r\nHost: A.Example.:8080\r\n\r\n", "GET / HTTP/1.1\r\nHost: a,b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", "GET / HTTP/1.1\r\n\r\n", "GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
        "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", "GET / HTTP/1.0\r\nConnection: te\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, close\r\n\r\n",
        "GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: keep-alive\r\n\r\n",
        "GET / HTTP/1.0\r\nConnection: ,te,  keep-alive ,\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nConnection: CLOSE2\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nExpect: x\r\nExpect: 100-continue\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\nConnection: Keep-Alive\r\n\r\n",
        "GET / HTTP/1.0\r\nConnection: te, CLOSE\r\nHost: a\r\nhost: a\r\n\r\n",
        "GET / HTTP/1.1\r\nConnection: ,,\r\nExpect: 100-continuex\r\n\r\n",
        "GET / HTTP/1.0\r\nConnection: Keep-Alive ,  te\r\nExpect: 100-CONTINUE\r\n\r\n",
        "GET / HTTP/1.1\r\nConnection: keep_alive, clos, closed,  KEEP-ALIVe\r\nExpect: 1OO-continue\r\n\r\n",
        // A tab before the value is no tab in it.
        "GET / HTTP/1.0\r\nConnection:\t keep-alive\r\n\r\n",
    ]

    /// What the fast path finds in one pass is what the check and NIO find in the head it
    /// stands for: host, refusal, `Connection`, `Expect`, keep-alive.
    @Test(arguments: acted)
    func theFieldsFoundWhileParsingAreThoseTheHeadHolds(_ text: String) throws {
        guard case .head(let compact, _) = parse(text) else {
            Issue.record("not taken: \(text)")
            return
        }
        let head = try #require(try decoderHead(text))
        #expect(RequestHeadCheck(compact) == RequestHeadCheck(head, maxBodySize: 100))
        // As NIO reads the fields (a head made of them, as the fast path made it before).
        #expect(compact.keepAlive == compact.head.isKeepAlive)
        let fields = HTTPHeaders(head.headers.map { ($0.name, $0.value) })
        #expect(ReceivedHead(compact).isKeepAlive
            == HTTPRequestHead(version: head.version, method: head.method, uri: head.uri, headers: fields).isKeepAlive)
    }

    @Test func theNextRequestStaysInTheBuffer() {
        let first = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
        guard case .head(let head, let length) = parse(first + "POST /2 HTTP/1.1\r\n") else {
            Issue.record("not taken")
            return
        }
        #expect(head.uri == "/1")
        #expect(length == first.utf8.count)
    }

    @Test(arguments: simple)
    func everyStartOfASimpleHeadWaitsForMore(_ text: String) {
        for end in 1..<text.utf8.count {
            let start = String(decoding: text.utf8.prefix(end), as: UTF8.self)
            #expect(parse(start) == .incomplete, "\(String(reflecting: start))")
        }
    }

    @Test(arguments: [
        // Methods with bodies, or unknown to this parser; leading blank lines.
        "POST / HTTP/1.1\r\nHost: a\r\n\r\n", "GETX / HTTP/1.1\r\n\r\n", "get / HTTP/1.1\r\n\r\n",
        "\r\nGET / HTTP/1.1\r\n\r\n",
        // Targets: absolute form, asterisk, fragment, characters a URI may not hold, none.
        "GET http://a/ HTTP/1.1\r\n\r\n", "GET * HTTP/1.1\r\n\r\n", "GET /#f HTTP/1.1\r\n\r\n",
        "GET /a\"b HTTP/1.1\r\n\r\n", "GET /a\u{7F} HTTP/1.1\r\n\r\n", "GET /é HTTP/1.1\r\n\r\n",
        "GET  / HTTP/1.1\r\n\r\n",
        // Versions and line ends.
        "GET / HTTP/1.2\r\n\r\n", "GET / HTTP/2.0\r\n\r\n", "GET / HTTP/1.1\n\n", "GET / HTTP/1.1\r\nHost: a\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\r\n\r\n", "GET / HTTP/1.1 \r\n\r\n",
        // Fields that frame a body, switch protocols or (for llhttp) close the connection, in any case.
        "GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", "GET / HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n",
        "GET / HTTP/1.1\r\nUPGRADE: h2c\r\nConnection: Upgrade\r\n\r\n",
        "GET / HTTP/1.1\r\nProxy-connection: close\r\n\r\n",
        // Malformed or doubtful fields: obs-fold, no colon, space before the colon, empty
        // name or value, trailing whitespace, control characters, obs-text.
        "GET / HTTP/1.1\r\nX-A: 1\r\n  2\r\n\r\n", "GET / HTTP/1.1\r\nno colon\r\n\r\n",
        "GET / HTTP/1.1\r\nHost : a\r\n\r\n", "GET / HTTP/1.1\r\n: a\r\n\r\n", "GET / HTTP/1.1\r\nX-A:\r\n\r\n",
        "GET / HTTP/1.1\r\nX-A: a \r\n\r\n", "GET / HTTP/1.1\r\nX-A: a\u{1}b\r\n\r\n",
        "GET / HTTP/1.1\r\nX-A: é\r\n\r\n", "GET / HTTP/1.1\r\nX-A: a\0\r\n\r\n",
        // More of each: methods, targets, versions and line ends.
        "HEAD/ HTTP/1.1\r\n\r\n", "HEAd / HTTP/1.1\r\n\r\n", "GET\t/ HTTP/1.1\r\n\r\n", "GET ?a HTTP/1.1\r\n\r\n",
        "GET / HTTX/1.1\r\n\r\n", "GET / HTTP/1.x\r\n\r\n", "GET / HTTP/1.10\r\n\r\n", "GET / HTTP/1.1\r\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\n\rx", "GET / HTTP/1.1\r\nHost: a\r\n\n",
        // The refused names in other cases.
        "GET / HTTP/1.1\r\nCONTENT-LENGTH: 0\r\n\r\n", "GET / HTTP/1.1\r\nTransfer-Encoding: identity\r\n\r\n",
        "GET / HTTP/1.1\r\nupgrade: websocket\r\n\r\n", "GET / HTTP/1.1\r\nPROXY-CONNECTION: keep-alive\r\n\r\n",
        // A refused field after simple ones; obs-fold with a tab; whitespace alone; a trailing
        // tab; bytes >= 0x80 or DEL in a value or name; a name starting with a space.
        "GET / HTTP/1.1\r\nHost: a\r\nAccept: */*\r\ncontent-length: 5\r\n\r\n",
        "GET / HTTP/1.1\r\nX-A: 1\r\n\t2\r\n\r\n", "GET / HTTP/1.1\r\nX-A: \t \r\n\r\n", "GET / HTTP/1.1\r\nX-A: a\t\r\n\r\n",
        "GET / HTTP/1.1\r\nX-A: a\u{FF}\r\n\r\n", "GET / HTTP/1.1\r\nX-A: a\u{7F}\r\n\r\n", "GET / HTTP/1.1\r\nXé: a\r\n\r\n",
        "GET / HTTP/1.1\r\n Host: a\r\n\r\n",
        // A tab in `Connection`, which llhttp reads on its own terms.
        "GET / HTTP/1.0\r\nConnection: Keep-Alive\t,\tte\r\n\r\n", "GET / HTTP/1.1\r\nConnection: a\tb\r\n\r\n",
        "GET / HTTP/1.1\r\nConnection: ,te,\t keep-alive ,\r\n\r\n",
    ])
    func anythingElseIsTheDecoders(_ text: String) {
        #expect(parse(text) == .other)
    }

    @Test func aHeadLongerThanTheLimitIsTheDecoders() {
        let text = "GET / HTTP/1.1\r\nHost: a\r\n\r\n"
        let length = text.utf8.count
        #expect(parse(text, maxLength: length) != .other)
        #expect(parse(text, maxLength: length - 1) == .other)
        // Even before its end has come.
        let start = String(decoding: text.utf8.dropLast(2), as: UTF8.self)
        #expect(parse(start, maxLength: length - 3) == .other)
        #expect(parse(start, maxLength: length - 1) == .incomplete)
    }

    /// The limit at a simple head's very length takes it; one byte less leaves it, and every
    /// start of it as long as the limit, to the decoder.
    @Test(arguments: simple)
    func aHeadExactlyAsLongAsTheLimitIsTaken(_ text: String) {
        let length = text.utf8.count
        #expect(parse(text, maxLength: length) != .other)
        #expect(parse(text, maxLength: length - 1) == .other)
        for end in 1..<length {
            let start = String(decoding: text.utf8.prefix(end), as: UTF8.self)
            #expect(parse(start, maxLength: end) == .other)
            #expect(parse(start, maxLength: end + 1) == .incomplete)
        }
    }
}

/// The fast path's parser over many generated heads (``GeneratedRequestHeads``): every start
/// of each, at the server's limit and at one near the head's length, decided as the parser
/// it replaced decided it (``ReferenceSimpleRequestHead``); and what it takes, parsed to the
/// head NIO's decoder makes of the same bytes, with the same facts about its fields.
extension SimpleRequestHeadTests {
    private func verdict(_ bytes: [UInt8], maxLength: Int) -> ReferenceSimpleRequestHead.Verdict {
        switch SimpleRequestHead.parse(ByteBuffer(bytes: bytes), maxLength: maxLength) {
        case .head(_, let length): .head(length: length)
        case .incomplete: .incomplete
        case .other: .other
        }
    }

    /// The bit sets of names' and targets' characters hold exactly the characters spelt out.
    @Test func everyByteIsATokenOrTargetCharacterAsSpeltOut() {
        for byte in UInt8.min...UInt8.max {
            #expect(byte.isTokenCharacter == ReferenceSimpleRequestHead.tokenCharacters.contains(byte), "\(byte)")
            #expect(byte.isTargetCharacter == ReferenceSimpleRequestHead.targetCharacters.contains(byte), "\(byte)")
        }
    }

    /// Every byte at every place of a target, a field name and a value sixteen bytes long
    /// (of the kinds the parser skips a word at a time, and the others), and so in each word
    /// the parser reads at once.
    @Test(arguments: [
        ("GET ", "/a-9.b/C_~d%20e/", " HTTP/1.1\r\n\r\n"),
        ("GET / HTTP/1.1\r\n", "Ab-9.cdEF-gh0ijk", ": v\r\n\r\n"),
        ("GET / HTTP/1.1\r\nX: ", "Mozilla/5.0 (X;)", "\r\n\r\n"),
    ])
    func everyByteAnywhereInAWordIsDecidedAsBefore(_ before: String, _ run: String, _ after: String) {
        for place in 0..<run.utf8.count {
            for byte in UInt8.min...UInt8.max {
                var changed = Array(run.utf8)
                changed[place] = byte
                let bytes = Array(before.utf8) + changed + Array(after.utf8)
                let expected = ReferenceSimpleRequestHead.verdict(bytes, maxLength: Self.limit)
                #expect(verdict(bytes, maxLength: Self.limit) == expected, "\(byte) at \(place) of \(run)")
            }
        }
    }

    @Test func generatedHeadsAreDecidedAsBeforeAndParsedAsTheDecoderParsesThem() throws {
        var heads = GeneratedRequestHeads(seed: 14)
        var taken = 0
        for _ in 0..<500 {
            let bytes = heads.next()
            let nearLength = Int.random(in: max(1, bytes.count - 8)...(bytes.count + 2), using: &heads.random)
            for maxLength in [Self.limit, nearLength] {
                for end in 1...bytes.count {
                    let start = Array(bytes.prefix(end))
                    let expected = ReferenceSimpleRequestHead.verdict(start, maxLength: maxLength)
                    guard verdict(start, maxLength: maxLength) == expected else {
                        let text = String(reflecting: String(decoding: start, as: UTF8.self))
                        Issue.record("not \(expected) at limit \(maxLength): \(text)")
                        break
                    }
                }
            }
            // Wherever the buffer's readable bytes start.
            var shifted = ByteBuffer(bytes: [UInt8(ascii: "x")] + bytes)
            shifted.moveReaderIndex(forwardBy: 1)
            let parsed = SimpleRequestHead.parse(ByteBuffer(bytes: bytes), maxLength: Self.limit)
            #expect(SimpleRequestHead.parse(shifted, maxLength: Self.limit) == parsed)
            guard case .head(let compact, let length) = parsed else { continue }
            taken += 1
            let head = try #require(try decoderHead(String(decoding: bytes.prefix(length), as: UTF8.self)))
            #expect(compact.head == head)
            #expect(RequestHeadCheck(compact) == RequestHeadCheck(head, maxBodySize: 100))
            // As NIO reads the fields; its decoder's head carries llhttp's reading, which differs
            // for HTTP/1.0 with `keep-alive` and `close` both (the fast path follows NIO).
            let fields = HTTPHeaders(head.headers.map { ($0.name, $0.value) })
            #expect(compact.keepAlive
                == HTTPRequestHead(version: head.version, method: head.method, uri: head.uri, headers: fields).isKeepAlive)
            #expect(compact.fields.mayHoldPreconditionOrRange == StaticFileHandler.mayHoldPreconditionOrRange(head.headers))
        }
        // Both kinds, in numbers.
        #expect((100...400).contains(taken), "\(taken) of 500 taken")
    }
}
