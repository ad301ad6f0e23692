/// The fast path's parser as it was before its loops were made fast, reduced to its verdict:
/// byte by byte through a throwing read of the current byte, each check where it was, the character sets spelt
/// out. The property test holds ``SimpleRequestHead`` to it: however its scanning is done,
/// it must take, wait for or refuse every input as this does.
struct ReferenceSimpleRequestHead {
    enum Verdict: Equatable {
        case head(length: Int)
        case incomplete
        case other
    }

    private enum Stop: Error {
        case needsMore
        case notSimple
    }

    private let bytes: [UInt8]
    private let limit: Int
    private var index = 0

    /// What the parser decides for `bytes` with the head limit `maxLength`.
    static func verdict(_ bytes: [UInt8], maxLength: Int) -> Verdict {
        var reference = Self(bytes: bytes, limit: min(bytes.count, maxLength))
        switch Result<Void, Stop>(catching: { () throws(Stop) in try reference.head() }) {
        case .success: return .head(length: reference.index)
        // Bytes as many as the limit that do not end the head make a head too long.
        case .failure(.needsMore): return bytes.count < maxLength ? .incomplete : .other
        case .failure(.notSimple): return .other
        }
    }

    private init(bytes: [UInt8], limit: Int) {
        self.bytes = bytes
        self.limit = limit
    }

    private static let letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    /// RFC 9110 §5.6.2.
    static let tokenCharacters = Set(("!#$%&'*+-.^_`|~" + letters).utf8)
    /// RFC 3986's unreserved characters, sub-delims and `:@/?%`.
    static let targetCharacters = Set(("-._~!$&'()*+,;=:@/?%" + letters).utf8)
    /// Fields that frame a body, switch protocols, or (for llhttp) close the connection.
    private static let refusedNames: Set = ["content-length", "transfer-encoding", "upgrade", "proxy-connection"]

    private mutating func head() throws(Stop) {
        try expect(current == UInt8(ascii: "G") ? "GET " : "HEAD ")
        let target = try run { Self.targetCharacters.contains($0) }
        guard target.first == UInt8(ascii: "/") else { throw .notSimple }
        try expect(" HTTP/1.")
        let minor = try next()
        guard minor == UInt8(ascii: "0") || minor == UInt8(ascii: "1") else { throw .notSimple }
        try expect("\r\n")
        while try current != UInt8(ascii: "\r") {
            let name = try run { Self.tokenCharacters.contains($0) }
            guard !name.isEmpty else { throw .notSimple }
            try expect(":")
            _ = try run { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
            let value = try run { (0x20...0x7E).contains($0) || $0 == UInt8(ascii: "\t") }
            try expect("\r\n")
            let lowercaseName = String(decoding: name, as: UTF8.self).lowercased()
            guard let last = value.last, last != UInt8(ascii: " "), last != UInt8(ascii: "\t"),
                  !Self.refusedNames.contains(lowercaseName),
                  // A `Connection` with a tab in it is llhttp's to read (it takes no tab after a token).
                  !(lowercaseName == "connection" && value.contains(UInt8(ascii: "\t"))) else {
                throw .notSimple
            }
        }
        try expect("\r\n")
    }

    /// The byte at `index`; the end of the input needs more.
    private var current: UInt8 {
        get throws(Stop) {
            guard index < limit else { throw .needsMore }
            return bytes[index]
        }
    }

    private mutating func next() throws(Stop) -> UInt8 {
        defer { index += 1 }
        return try current
    }

    private mutating func expect(_ text: String) throws(Stop) {
        for expected in text.utf8 {
            guard try next() == expected else { throw .notSimple }
        }
    }

    private mutating func run(while accepts: (UInt8) -> Bool) throws(Stop) -> ArraySlice<UInt8> {
        let start = index
        while try accepts(current) { index += 1 }
        return bytes[start..<index]
    }
}
