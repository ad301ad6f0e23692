/// What a route's `encode:` compresses and how: the codings offered, the smallest body
/// worth compressing and the compression level.
public struct EncodingSettings: Sendable, Equatable {
    /// The codings ZeroDT can compress on the fly. zstd and br are served only from
    /// precompressed files: compress-nio, the library used, wraps zlib alone.
    public static let supportedCodings: [ContentCoding] = [.gzip]
    /// Bodies smaller than this are sent as they are: compressing them gains little and
    /// costs a compressor per response.
    public static let defaultMinimumSize = 512
    /// zlib's level 1, as nginx's `gzip_comp_level` default: most of the gain of higher
    /// levels for text, at a fraction of their CPU time.
    public static let defaultLevel = 1
    /// The levels zlib knows.
    public static let levels = 1...9

    /// The codings offered, in the server's order of preference; each in `supportedCodings`.
    public var codings: [ContentCoding]
    /// Bodies below this many bytes are not compressed.
    public var minimumSize: Int
    /// The compression level, within `levels`.
    public var level: Int

    /// Creates settings.
    public init(codings: [ContentCoding], minimumSize: Int = defaultMinimumSize, level: Int = defaultLevel) {
        self.codings = codings
        self.minimumSize = minimumSize
        self.level = level
    }
}
