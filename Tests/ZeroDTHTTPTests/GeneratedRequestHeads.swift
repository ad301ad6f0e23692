import TestSupport

/// Request heads made of parts, now and then one that the fast path must leave to the
/// decoder (or that may end the head early), so that about half of them are simple ones;
/// the same heads from the same seed.
struct GeneratedRequestHeads {
    var random: SplitMix64

    init(seed: UInt64) {
        random = SplitMix64(seed: seed)
    }

    /// A head: a request line, up to nine fields and an end (a blank line, maybe the next
    /// request's bytes, or something that is neither).
    mutating func next() -> [UInt8] {
        var text = pick(Self.methods) + pick(Self.targets) + pick(Self.versions)
        for _ in 0..<Int.random(in: 0...9, using: &random) {
            text += pick(Self.names) + pick(Self.separators) + pick(Self.values) + pick(Self.lineEnds)
        }
        return Array((text + pick(Self.ends)).utf8)
    }

    /// Parts that keep a head simple, and parts that make it not (or not yet) one.
    private struct Parts {
        let simple: [String]
        let other: [String]
    }

    /// One part in 24 is from `other`.
    private mutating func pick(_ parts: Parts) -> String {
        let choices = Int.random(in: 0..<24, using: &random) == 0 ? parts.other : parts.simple
        return choices.randomElement(using: &random)!
    }

    private static let methods = Parts(simple: ["GET ", "HEAD "],
                                       other: ["POST ", "get ", "HEAd ", "GET\t", "GETX ", "\r\nGET ", "G"])
    private static let targets = Parts(simple: ["/", "/hello", "/a/b%20c?x=1&y=(2)*+,!$'~_.-@:;=", "//a"],
                                       other: ["*", "http://a/", "/a b", "/é", "/#f", "", "/\u{7F}", "/\"", "/[x]"])
    private static let versions = Parts(simple: [" HTTP/1.1\r\n", " HTTP/1.0\r\n"],
                                        other: [" HTTP/1.2\r\n", " HTTP/2.0\r\n", " http/1.1\r\n", "  HTTP/1.1\r\n",
                                                " HTTP/1.1\n", " HTTP/1.1 \r\n", " HTTP/1.1\r\r\n", " HTTP/1.10\r\n"])
    /// With names one letter from those refused, and of the lengths of those acted on.
    private static let names = Parts(simple: ["Host", "host", "HOST", "User-Agent", "Accept", "Accept-Encoding",
                                              "Connection", "connection", "Expect", "EXPECT", "If-None-Match", "Range",
                                              "if-modified-since", "Cache-Control", "Sec-Fetch-Dest", "X-!#$%&'*+-.^_`|~09",
                                              "Content-Lengtx", "Upgradf", "Proxy-Connectioo", "Transfer-Encodinf", "Hosu",
                                              "Content_Length", "Transfer^Encoding", "Expecu", "Connection~"],
                                     other: ["Content-Length", "content-LENGTH", "Transfer-Encoding", "TRANSFER-encoding",
                                             "Upgrade", "uPGRADE", "UpgradE", "Proxy-Connection", "proxy-CONNECTION", "", "Bad Name",
                                             "N\u{80}", "N@", "N\"", " Host", "N(", "N/"])
    private static let separators = Parts(simple: [":", ": ", ":\t", ": \t "], other: [" :", "", ":\r\n "])
    private static let values = Parts(simple: ["a", "example.com:8080", "[::1]:80", "a.example.", "close", "keep-alive",
                                               "Keep-Alive", "CLOSE", "keep-alive, close", ",te,\t keep-alive ,", "close2",
                                               "100-continue", "100-Continue", "100-continuE", "100_continue",
                                               "1OO-continue", "keep_alive", "KEEP-ALIVE,keep-alive", "cLoSe,,", "a,b", "a b", "x\ty", "*/*", "\"q\"",
                                               "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8",
                                               "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)",
                                               "~`!@#$%^&*()_+-={}[]|\\:;'<>?,./"],
                                      other: ["", "a ", "a\t", "é", "a\u{FF}", "a\u{1}b", "a\u{7F}", "a\0", "\t", "a\rb",
                                              "a\nb"])
    private static let lineEnds = Parts(simple: ["\r\n"],
                                        other: ["\n", "\r\r\n", "\r\n folded\r\n", "\r\n\tfolded\r\n", "\rx", "\r"])
    private static let ends = Parts(simple: ["\r\n", "\r\nGET /next HTTP/1.1\r\n\r\n", "\r\nPOST / HTTP/1.1\r\n"],
                                    other: ["\n", "\rx", ""])
}
