/// A content coding (RFC 9110 §8.4.1) ZeroDT can serve: from a precompressed sibling file
/// (all of them) or compressed on the fly (``EncodingHandler/supportedCodings``).
public enum ContentCoding: String, Sendable, CaseIterable, Equatable {
    /// Brotli (RFC 7932).
    case br
    /// Zstandard (RFC 8878).
    case zstd
    /// gzip (RFC 1952).
    case gzip

    /// The suffix of the sibling file that holds a file's bytes in this coding, as
    /// `brotli`, `zstd` and `gzip` name their output.
    public var fileSuffix: String {
        switch self {
        case .br: return ".br"
        case .zstd: return ".zst"
        case .gzip: return ".gz"
        }
    }
}
