#if canImport(Glibc)
import Glibc
#endif
import NIOCore

/// `TCP_CORK` around a response sent with `sendfile`, as nginx's `tcp_nopush` does.
///
/// `sendfile` pushes a segment at the end of each of its internal 64 KiB pipe rounds. With
/// `TCP_NODELAY` (NIO's default) that is a full segment and a tail of a few bytes per
/// round on loopback (whose MSS is just under 64 KiB), and the head goes out alone before
/// the file: about twice the segments a client must take in. Held back while the
/// response is written, the head shares the first segment and every segment is full; the
/// cork is lifted once the last byte is written, which sends the tail at once (the kernel
/// would otherwise wait up to 200 ms). Two `setsockopt` calls per file response.
enum SegmentCoalescing {
    /// Sets `TCP_CORK` on `channel`'s socket; nothing elsewhere than Linux. A channel without
    /// a TCP socket (a unix socket's, or `EmbeddedChannel`, which keeps any option it is
    /// given) refuses or ignores it, and a closed one fails the call, which is then moot.
    /// No `is any SocketOptionProvider` check first: its conformance lookup cost more than
    /// the rest of the call, twice per file response.
    static func set(_ coalesce: Bool, on channel: any Channel) {
        #if os(Linux)
        try? channel.syncOptions?.setOption(option, value: coalesce ? 1 : 0)
        #endif
    }

    #if os(Linux)
    private static let option = ChannelOptions.Types.SocketOption(level: .tcp, name: NIOBSDSocket.Option(rawValue: TCP_CORK))
    #endif
}
