#if canImport(Glibc)
import Glibc
#endif
import NIOCore

/// Whether the kernel has lately been sending a connection's response to its client: the
/// progress the write deadline (`timeouts.write`) asks for. NIO completes a write only once
/// all of it is in the socket, so a file chunk that a slow but steady client takes longer
/// than the deadline to read would otherwise count as no progress at all; nginx's
/// `send_timeout` counts any write. The socket's `TCP_INFO` tells: new data went out
/// (`tcpi_last_data_sent`) and the client acknowledged something (`tcpi_last_ack_recv`),
/// both within the interval. A client that stopped reading is sent no new data once its
/// window is shut (the kernel's window probes carry none); one that is gone acknowledges
/// nothing, however often its data is sent again.
enum TransmissionProgress {
    /// Calls `body`, on the channel's event loop, with how long ago the socket under
    /// `channel` last made progress (new data went out and the client acknowledged some,
    /// both since then); nil where nothing is known (no socket, as on an HTTP/2 stream or an
    /// `EmbeddedChannel`, or elsewhere than Linux).
    /// - Important: call on the channel's event loop.
    static func check(_ channel: any Channel, _ body: @escaping (TimeAmount?) -> Void) {
        #if os(Linux)
        guard let socket = channel as? any SocketOptionProvider else { return body(nil) }
        socket.getTCPInfo().hop(to: channel.eventLoop).assumeIsolated().whenComplete { result in
            guard case .success(let info) = result else { return body(nil) }
            body(.milliseconds(Int64(max(info.tcpi_last_data_sent, info.tcpi_last_ack_recv))))
        }
        #else
        body(nil)
        #endif
    }

    /// How long from now until `interval` has passed without progress, the last having been
    /// `sinceProgress` ago (`check`); nil once it has (or where nothing is known). The next
    /// judgement goes there, not a whole `interval` from now: the bytes queued before a
    /// deadline was set go out after it, and counted as progress a whole interval on, they
    /// let a client that took nothing more hold its connection for up to twice the timeout.
    static func remaining(of interval: TimeAmount, sinceProgress: TimeAmount?) -> TimeAmount? {
        guard let sinceProgress, sinceProgress < interval else { return nil }
        return interval - sinceProgress
    }
}
