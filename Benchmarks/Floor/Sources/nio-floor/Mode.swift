/// What a floor server is made of.
enum Mode: String, Sendable {
    /// Plain TCP; requests found by their blank line, answered with pre-rendered bytes.
    case h1
    /// TLS with ALPN h2; `NIOHTTP2Handler` passing frames to one handler per connection.
    case h2
    /// TLS with ALPN h2; `NIOHTTP2Handler`'s inline multiplexer, a child channel per stream.
    case h2Streams = "h2-streams"

    var usesTLS: Bool { self != .h1 }
}
