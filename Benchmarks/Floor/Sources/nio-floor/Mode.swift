/// What a floor server is made of.
enum Mode: String, Sendable {
    /// Plain TCP; requests found by their blank line, answered with pre-rendered bytes.
    case h1
    /// Plain TCP as `h1`, answered with a file: a pre-rendered head, then the file by
    /// `sendfile`, under `TCP_CORK` as zerodt-serve and nginx (`tcp_nopush`) send one.
    case h1File = "h1-file"
    /// TLS with ALPN h2; `NIOHTTP2Handler` passing frames to one handler per connection.
    case h2
    /// TLS with ALPN h2; `NIOHTTP2Handler`'s inline multiplexer, a child channel per stream.
    case h2Streams = "h2-streams"

    var usesTLS: Bool { self == .h2 || self == .h2Streams }
}
