import NIOHTTP1

/// A request's `Accept-Encoding` (RFC 9110 §12.5.3), and the choice of one of the codings a
/// server has against it.
///
/// - A coding with `q=0` is not acceptable; `*` stands for every coding not listed;
///   names are case-insensitive, whitespace around elements and parameters is ignored.
/// - `identity` is acceptable unless listed (or matched by `*`) with `q=0`; a coding is
///   chosen only when it is preferred at least as much as `identity`.
/// - Without the field no coding is chosen: the RFC lets a server pick any then, but
///   clients that do not send it (scripts, old proxies) are better served unencoded, as
///   nginx and Caddy do.
/// - An element whose weight is not a valid qvalue is ignored, not the whole field.
///
/// Parsed on every request of a route that encodes, so it works on the field's bytes and
/// keeps only the weights that can matter (the codings ZeroDT serves, `identity` and `*`):
/// no allocation. A coding listed twice counts with its first weight; a second `*` with
/// its last.
struct AcceptEncoding {
    /// Weights in thousandths, nil where not listed: per ``ContentCoding`` (``slot(of:)``),
    /// then `identity`, then `*`.
    private var weights: (Int?, Int?, Int?, Int?, Int?) = (nil, nil, nil, nil, nil)

    private static let identitySlot = 3
    private static let starSlot = 4

    private static func slot(of coding: ContentCoding) -> Int {
        switch coding {
        case .br: return 0
        case .zstd: return 1
        case .gzip: return 2
        }
    }

    /// Parses the field's lines, joined as one list.
    init(_ headers: HTTPHeaders) {
        for (name, value) in headers where Self.isAcceptEncoding(name) {
            var value = value
            value.withUTF8 { parse(list: $0) }
        }
    }

    /// Parses the request's field lines, joined as one list: from the bytes of a head the
    /// fast path read, where making NIO's head for it cost a precompressed file's response
    /// about 2,500 instructions.
    init(_ request: HTTPRequest) {
        request.forEachValue(ofFieldNamed: "accept-encoding") { parse(list: $0) }
    }

    /// Those of `available` the client accepts, most preferred first: weight above zero and
    /// at least `identity`'s, ties in the order of `available` (the server's preference).
    func ranked(_ available: [ContentCoding]) -> Ranking {
        Ranking(field: self, available: available)
    }

    /// The most preferred of `available` (``ranked(_:)``), or nil for `identity`.
    func select(from available: [ContentCoding]) -> ContentCoding? {
        var ranking = ranked(available)
        return ranking.next()
    }

    /// The codings of ``ranked(_:)``, each found when asked for: a precompressed route asks
    /// for the first on every request, and for the next only when a sibling is missing, so
    /// no array of them is made (an allocation per request).
    struct Ranking: Sequence, IteratorProtocol {
        fileprivate let field: AcceptEncoding
        fileprivate let available: [ContentCoding]
        /// The weight and position in `available` of the coding given last.
        private var last: (quality: Int, index: Int)?

        fileprivate init(field: AcceptEncoding, available: [ContentCoding]) {
            self.field = field
            self.available = available
        }

        /// The acceptable coding that follows the last one given: the highest weight below
        /// it, or the same weight later in `available`. `available` lists a few codings.
        mutating func next() -> ContentCoding? {
            let identity = field[AcceptEncoding.identitySlot] ?? field[AcceptEncoding.starSlot] ?? 0
            var best: (quality: Int, index: Int)?
            for (index, coding) in available.enumerated() {
                let quality = field.quality(of: coding)
                guard quality > 0, quality >= identity else { continue }
                if let last, quality > last.quality || (quality == last.quality && index <= last.index) { continue }
                if best.map({ quality > $0.quality }) ?? true {
                    best = (quality, index)
                }
            }
            last = best
            return best.map { available[$0.index] }
        }
    }

    /// The weight given to `coding` by name, else by `*`; 0 when neither is listed.
    private func quality(of coding: ContentCoding) -> Int {
        self[Self.slot(of: coding)] ?? self[Self.starSlot] ?? 0
    }

    private subscript(slot: Int) -> Int? {
        get {
            switch slot {
            case 0: return weights.0
            case 1: return weights.1
            case 2: return weights.2
            case 3: return weights.3
            default: return weights.4
            }
        }
        set {
            switch slot {
            case 0: weights.0 = newValue
            case 1: weights.1 = newValue
            case 2: weights.2 = newValue
            case 3: weights.3 = newValue
            default: weights.4 = newValue
            }
        }
    }

    /// Whether a field name is `Accept-Encoding`, in any case. Its length is compared
    /// first, by itself: every other field of the request (`Host`, `User-Agent`, ...) fails
    /// there.
    private static func isAcceptEncoding(_ name: String) -> Bool {
        name.utf8.count == 15 && name.isASCIICaseInsensitiveEqual(to: "accept-encoding")
    }

    /// `#element`: the elements between commas; empty ones are skipped.
    private mutating func parse(list: UnsafeBufferPointer<UInt8>) {
        var start = 0
        while start <= list.count {
            let end = list[start...].firstIndex(of: UInt8(ascii: ",")) ?? list.count
            parse(element: UnsafeBufferPointer(rebasing: list[start..<end]))
            start = end + 1
        }
    }

    /// `coding *( OWS ";" OWS name "=" value )`, of which only `q` counts.
    private mutating func parse(element: UnsafeBufferPointer<UInt8>) {
        var rest = element[...]
        guard let slot = Self.slot(named: Self.popParameter(&rest).trimmingOptionalWhitespace()) else { return }
        // `gzip;`: a parameter that is not there makes the element invalid, as any other.
        if element[...].trimmingOptionalWhitespace().last == UInt8(ascii: ";") { return }
        var quality = 1000
        while !rest.isEmpty {
            let parameter = Self.popParameter(&rest)
            guard let equals = parameter.firstIndex(of: UInt8(ascii: "=")) else { return }
            let name = parameter[..<equals].trimmingOptionalWhitespace()
            guard name.count == 1, name.first!.asciiLowercased == UInt8(ascii: "q") else { continue }
            guard let value = Self.qvalue(parameter[(equals + 1)...].trimmingOptionalWhitespace()) else { return }
            quality = value
        }
        if slot == Self.starSlot || self[slot] == nil {
            self[slot] = quality
        }
    }

    /// The bytes up to the next `;` (all when there is none), removed from `rest` with it.
    private static func popParameter(_ rest: inout Slice<UnsafeBufferPointer<UInt8>>)
        -> Slice<UnsafeBufferPointer<UInt8>>
    {
        guard let semicolon = rest.firstIndex(of: UInt8(ascii: ";")) else {
            defer { rest = rest[rest.endIndex...] }
            return rest
        }
        defer { rest = rest[(semicolon + 1)...] }
        return rest[..<semicolon]
    }

    /// The slot of a coding name that matters here, case-insensitively; nil for any other
    /// (malformed names included: none of them is one of these). RFC 9110 §8.4.1.3: a
    /// recipient SHOULD take "x-gzip" for "gzip".
    private static func slot(named name: Slice<UnsafeBufferPointer<UInt8>>) -> Int? {
        func matches(_ expected: StaticString) -> Bool { name.isASCIICaseInsensitiveEqual(to: expected) }
        if matches("gzip") || matches("x-gzip") { return slot(of: .gzip) }
        if matches("br") { return slot(of: .br) }
        if matches("zstd") { return slot(of: .zstd) }
        if matches("identity") { return identitySlot }
        if matches("*") { return starSlot }
        return nil
    }

    /// `( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )` in thousandths (§12.4.2).
    static func qvalue(_ text: Substring) -> Int? {
        qvalue(text.utf8)
    }

    private static func qvalue(_ bytes: some Collection<UInt8>) -> Int? {
        guard let first = bytes.first, first == UInt8(ascii: "0") || first == UInt8(ascii: "1") else { return nil }
        var value = Int(first - UInt8(ascii: "0")) * 1000
        guard bytes.count > 1 else { return value }
        let rest = bytes.dropFirst()
        guard rest.first == UInt8(ascii: "."), bytes.count <= 5 else { return nil }
        var scale = 100
        for digit in rest.dropFirst() {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) else { return nil }
            value += Int(digit - UInt8(ascii: "0")) * scale
            scale /= 10
        }
        return value <= 1000 ? value : nil
    }
}
