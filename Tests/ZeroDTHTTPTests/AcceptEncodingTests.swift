import NIOCore
import NIOHTTP1
import Testing

@testable import ZeroDTHTTP

@Suite struct AcceptEncodingTests {
    private static let offered: [ContentCoding] = [.br, .zstd, .gzip]

    private func ranked(_ lines: String..., offered: [ContentCoding] = offered) -> [ContentCoding] {
        Array(AcceptEncoding(HTTPHeaders(lines.map { ("Accept-Encoding", $0) })).ranked(offered))
    }

    @Test func withoutTheFieldNothingIsEncoded() {
        #expect(Array(AcceptEncoding(HTTPHeaders()).ranked(Self.offered)).isEmpty)
        #expect(ranked("").isEmpty)
    }

    @Test func equalWeightsFollowTheServersOrder() {
        #expect(ranked("gzip, br, zstd") == [.br, .zstd, .gzip])
        #expect(ranked("gzip, br", offered: [.gzip, .br]) == [.gzip, .br])
    }

    @Test func higherWeightsComeFirst() {
        #expect(ranked("br;q=0.5, gzip;q=0.9, zstd;q=0.7") == [.gzip, .zstd, .br])
        #expect(ranked("br;q=0.001, gzip") == [.gzip, .br])
    }

    @Test func zeroMeansNotAcceptable() {
        #expect(ranked("gzip;q=0, br") == [.br])
        #expect(ranked("gzip;q=0.000") == [])
    }

    @Test func starCoversWhatIsNotListed() {
        #expect(ranked("*") == [.br, .zstd, .gzip])
        #expect(ranked("br;q=0, *;q=0.5") == [.zstd, .gzip])
        #expect(ranked("gzip, *;q=0") == [.gzip])
    }

    @Test func identityPreferredOverACodingWins() {
        #expect(ranked("gzip;q=0.5, identity") == [])
        #expect(ranked("gzip;q=0.5, *;q=0.8") == [.br, .zstd], "identity gets the star's weight too")
        #expect(ranked("gzip, identity;q=0") == [.gzip])
        #expect(ranked("gzip;q=0.5, identity;q=0.5") == [.gzip], "a tie goes to the coding")
    }

    @Test func xGzipIsGzip() {
        #expect(ranked("X-Gzip") == [.gzip])
        #expect(ranked("x-gzip;q=0, br") == [.br])
    }

    @Test func namesIgnoreCaseAndWhitespace() {
        #expect(ranked("GZip ;\tQ = 0.5 ,\tBR") == [.br, .gzip])
        #expect(ranked("gzip", "br;q=0.2") == [.gzip, .br], "several lines are one list")
        #expect(ranked(" , ,gzip,,") == [.gzip])
    }

    @Test func aCodingListedTwiceCountsWithItsFirstWeightAStarWithItsLast() {
        #expect(ranked("gzip;q=0, gzip") == [])
        #expect(ranked("gzip, gzip;q=0") == [.gzip])
        #expect(ranked("*;q=0, *") == [.br, .zstd, .gzip])
    }

    @Test func theFieldNameIgnoresCase() {
        #expect(Array(AcceptEncoding(HTTPHeaders([("accept-ENCODING", "br")])).ranked(Self.offered)) == [.br])
        #expect(Array(AcceptEncoding(HTTPHeaders([("Accept-Encodings", "br")])).ranked(Self.offered)) == [])
        #expect(Array(AcceptEncoding(HTTPHeaders([("Accept-Encodinh", "br")])).ranked(Self.offered)) == [])
    }

    /// A head the fast path read is ranked from its bytes, as the head NIO's decoder makes of
    /// them is: the name in any case, several lines joined, look-alike names not.
    @Test(arguments: [
        "",
        "Accept-Encoding: gzip\r\n",
        "accept-ENCODING:br;q=0.5, gzip\r\n",
        "Accept-Encoding: zstd;q=0.1\r\nUser-Agent: x\r\nAccept-Encoding:\t br\r\n",
        "Accept-Encodings: br\r\nAccept-Encodinh: br\r\n",
        "Accept-Encoding: *;q=0, identity\r\n",
    ])
    func aHeadReadByTheFastPathIsRankedAsItsDecodedForm(_ fields: String) throws {
        let text = "GET /a HTTP/1.1\r\nHost: h\r\n\(fields)\r\n"
        guard case .head(let compact, _) = SimpleRequestHead.parse(ByteBuffer(string: text), maxLength: 1024) else {
            Issue.record("not taken by the fast path: \(text)")
            return
        }
        let request = HTTPRequest(received: ReceivedHead(compact), path: "/a", query: nil, routeRemainder: "",
                                  body: nil, host: nil)
        let fromBytes = Array(AcceptEncoding(request).ranked(Self.offered))
        #expect(fromBytes == Array(AcceptEncoding(compact.head.headers).ranked(Self.offered)))
        #expect(fromBytes == Array(AcceptEncoding(HTTPRequest(head: compact.head, path: "/a", query: nil)).ranked(Self.offered)))
    }

    @Test func malformedElementsAreIgnoredNotTheField() {
        #expect(ranked("gzip;q=1.5, br") == [.br])
        #expect(ranked("gzip;q=0.1234, br;q=abc, zstd") == [.zstd])
        #expect(ranked("gzip;q, br;q=") == [])
        #expect(ranked("g zip, br") == [.br])
        #expect(ranked("gzip;level=9") == [.gzip], "other parameters do not matter")
        #expect(ranked("gzip;, br;q=0.5;") == [], "an empty parameter")
        #expect(ranked("gzip; , br") == [.br])
    }

    @Test func qvaluesFollowTheGrammar() {
        #expect(AcceptEncoding.qvalue("1") == 1000)
        #expect(AcceptEncoding.qvalue("1.000") == 1000)
        #expect(AcceptEncoding.qvalue("1.001") == nil)
        #expect(AcceptEncoding.qvalue("0.5") == 500)
        #expect(AcceptEncoding.qvalue("0.05") == 50)
        #expect(AcceptEncoding.qvalue("0.") == 0)
        #expect(AcceptEncoding.qvalue(".5") == nil)
        #expect(AcceptEncoding.qvalue("2") == nil)
        #expect(AcceptEncoding.qvalue("") == nil)
    }
}
