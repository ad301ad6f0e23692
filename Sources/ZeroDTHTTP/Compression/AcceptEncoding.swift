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
struct AcceptEncoding {
    /// Each listed coding, lower-cased, with its weight in thousandths.
    private var weights: [(coding: Substring, quality: Int)] = []

    /// Parses the field's lines, joined as one list.
    init(_ headers: HTTPHeaders) {
        for line in headers["Accept-Encoding"] {
            for element in line.split(separator: ",") {
                if let weight = Self.parse(element) { weights.append(weight) }
            }
        }
    }

    /// Those of `available` the client accepts, most preferred first: weight above zero and
    /// at least `identity`'s, ties in the order of `available` (the server's preference).
    func ranked(_ available: [ContentCoding]) -> [ContentCoding] {
        guard !weights.isEmpty else { return [] }
        let identity = quality(of: "identity") ?? 0
        let weighted = available.enumerated().compactMap { index, coding -> (ContentCoding, Int, Int)? in
            let quality = quality(of: coding.rawValue) ?? 0
            return quality > 0 && quality >= identity ? (coding, quality, index) : nil
        }
        return weighted.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.2 < $1.2 }.map(\.0)
    }

    /// The most preferred of `available` (``ranked(_:)``), or nil for `identity`.
    func select(from available: [ContentCoding]) -> ContentCoding? {
        ranked(available).first
    }

    /// The weight given to `coding` by name, else by `*`; nil when neither is listed.
    private func quality(of coding: String) -> Int? {
        var star: Int?
        for weight in weights {
            if weight.coding == coding { return weight.quality }
            if weight.coding == "*" { star = weight.quality }
        }
        return star
    }

    /// `coding *( OWS ";" OWS name "=" value )`, of which only `q` counts.
    private static func parse(_ element: Substring) -> (coding: Substring, quality: Int)? {
        var parts = element.split(separator: ";", omittingEmptySubsequences: false).makeIterator()
        let coding = (parts.next() ?? "").trimmingOptionalWhitespace()
        guard !coding.isEmpty, ResponseHead.isToken(String(coding)) else { return nil }
        var quality = 1000
        while let parameter = parts.next() {
            let pair = parameter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2 else { return nil }
            guard pair[0].trimmingOptionalWhitespace().lowercased() == "q" else { continue }
            guard let value = qvalue(pair[1].trimmingOptionalWhitespace()) else { return nil }
            quality = value
        }
        // RFC 9110 §8.4.1.3: a recipient SHOULD take "x-gzip" for "gzip".
        let name = coding.lowercased()
        return (name == "x-gzip" ? "gzip" : Substring(name), quality)
    }

    /// `( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )` in thousandths (§12.4.2).
    static func qvalue(_ text: Substring) -> Int? {
        let bytes = Array(text.utf8)
        guard let first = bytes.first, first == UInt8(ascii: "0") || first == UInt8(ascii: "1") else { return nil }
        var value = Int(first - UInt8(ascii: "0")) * 1000
        guard bytes.count > 1 else { return value }
        guard bytes[1] == UInt8(ascii: "."), bytes.count <= 5 else { return nil }
        var scale = 100
        for digit in bytes[2...] {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) else { return nil }
            value += Int(digit - UInt8(ascii: "0")) * scale
            scale /= 10
        }
        return value <= 1000 ? value : nil
    }
}
