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
    /// Calls `body`, on the channel's event loop, with whether the socket under `channel`
    /// made progress within `interval`; false where nothing is known (no socket, as on an
    /// HTTP/2 stream or an `EmbeddedChannel`, or elsewhere than Linux).
    /// - Important: call on the channel's event loop.
    static func check(_ channel: any Channel, within interval: TimeAmount,
                      _ body: @escaping (Bool) -> Void) {
        #if os(Linux)
        guard let socket = channel as? any SocketOptionProvider else { return body(false) }
        let milliseconds = interval.nanoseconds / 1_000_000
        socket.getTCPInfo().hop(to: channel.eventLoop).assumeIsolated().whenComplete { result in
            guard case .success(let info) = result else { return body(false) }
            body(Int64(info.tcpi_last_data_sent) < milliseconds && Int64(info.tcpi_last_ack_recv) < milliseconds)
        }
        #else
        body(false)
        #endif
    }
}
