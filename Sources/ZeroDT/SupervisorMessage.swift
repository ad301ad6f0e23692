#if canImport(Glibc)
import Glibc
#endif
import CZeroDTSpawn
import Foundation

/// What a generation tells its supervisor: one datagram each on a `SOCK_SEQPACKET` pair the
/// supervisor made, shared by every generation it descends from (`SupervisorLink`).
struct SupervisorMessage: Codable, Equatable, Sendable {
    enum Kind: String, Codable, Sendable {
        /// The sender has installed its signal handlers: signals may be passed to it now.
        case started
        /// The sender accepts connections now; the datagram carries its listening sockets
        /// (`SCM_RIGHTS`), which the supervisor keeps to start a new generation on if the
        /// service dies without a hand-over.
        case serving
        /// The service is being stopped: the end of the generations is no crash.
        case stopping
        /// The sender stopped and exits with `status`.
        case exiting
        /// The sender hands over to the generation `successor`: restarts go there now.
        case handingOver
        /// The sender cannot start, for `reason`; it exits next.
        case failed
    }

    var kind: Kind
    var pid: Int32
    var generation: Int
    /// `serving`: the name of each socket carried, in order.
    var names: [String?] = []
    /// `serving`: which of the sockets carried are systemd's.
    var systemd: [Int] = []
    /// `serving`: more datagrams with sockets follow (a message carries at most
    /// `maximumSockets`).
    var more = false
    /// `exiting`: the sender's exit status.
    var status: Int32?
    /// `handingOver`: the successor's pid.
    var successor: Int32?
    /// `failed`: why, as a person should read it.
    var reason: String?

    /// The most sockets one datagram carries.
    static let maximumSockets = Int(ZERODT_MAX_PASSED_FDS)
    /// Room for the largest datagram: 200 names of up to a few hundred bytes each.
    static let maximumSize = 256 * 1024

    /// The `serving` datagrams for `listeners`, each with the fds it carries.
    static func serving(pid: Int32, generation: Int, listeners: [Listener]) -> [(SupervisorMessage, [Int32])] {
        let chunks = stride(from: 0, to: max(listeners.count, 1), by: maximumSockets).map { start in
            Array(listeners[start..<min(start + maximumSockets, listeners.count)])
        }
        return chunks.enumerated().map { index, chunk in
            let message = SupervisorMessage(kind: .serving, pid: pid, generation: generation, names: chunk.map(\.name),
                                            systemd: chunk.indices.filter { chunk[$0].fromSystemd },
                                            more: index < chunks.count - 1)
            return (message, chunk.map(\.fd))
        }
    }

    /// Sends this message with `fds` on `socket`, without blocking.
    func send(on socket: Int32, fds: [Int32] = []) throws(SystemError) {
        let bytes: [UInt8]
        do {
            bytes = Array(try JSONEncoder().encode(self))
        } catch {
            throw SystemError(call: "encode supervisor message", errno: EINVAL)
        }
        let sent = bytes.withUnsafeBytes { buffer in
            fds.withUnsafeBufferPointer { fdBuffer in
                zerodt_send_with_fds(socket, buffer.baseAddress, buffer.count, fdBuffer.baseAddress, Int32(fds.count))
            }
        }
        if sent < 0 { throw SystemError(call: "sendmsg to the supervisor", errno: errno) }
    }

    /// What one read of the supervisor's end yields.
    enum Received {
        case message(SupervisorMessage, fds: [Int32])
        /// Every generation has closed its end: all of them have exited.
        case endOfFile
        /// A datagram that could not be understood; its fds are closed already.
        case garbled(String)
        /// The socket cannot be read.
        case failed(SystemError)
    }

    /// Reads the next datagram from `socket` (blocking, unless the socket is non-blocking:
    /// then `failed` with `EAGAIN` when none is waiting).
    static func receive(from socket: Int32) -> Received {
        var bytes = [UInt8](repeating: 0, count: maximumSize)
        var fds = [Int32](repeating: -1, count: maximumSockets)
        var count: Int32 = 0
        var truncated: Int32 = 0
        let length = bytes.withUnsafeMutableBytes { buffer in
            fds.withUnsafeMutableBufferPointer { fdBuffer in
                zerodt_receive_with_fds(socket, buffer.baseAddress, buffer.count, fdBuffer.baseAddress, &count, &truncated)
            }
        }
        if length == 0 { return .endOfFile }
        let received = Array(fds.prefix(Int(max(count, 0))))
        func garbled(_ why: String) -> Received {
            received.forEach(Posix.close)
            return .garbled(why)
        }
        if length < 0 {
            let error = SystemError(call: "recvmsg", errno: errno)
            received.forEach(Posix.close)
            return .failed(error)
        }
        if truncated != 0 { return garbled("a message was truncated") }
        guard let message = try? JSONDecoder().decode(SupervisorMessage.self, from: Data(bytes.prefix(length))) else {
            return garbled("a message could not be decoded")
        }
        guard message.kind != .serving || message.names.count == received.count else {
            return garbled("a 'serving' message names \(message.names.count) sockets but carries \(received.count)")
        }
        return .message(message, fds: received)
    }
}
