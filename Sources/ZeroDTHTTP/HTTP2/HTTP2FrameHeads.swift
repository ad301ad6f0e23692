import NIOCore
import NIOHTTP2

/// Follows where the client's frames begin in the bytes it sends, from its preface on (RFC
/// 9113 §3.4, §4.1), and spots the answer to a PING among them: how `HTTP2InputGate` finds
/// the answer to the final PING in the input it drops once the final GOAWAY is out. Dropped,
/// because nio-http2 must see nothing then (it would answer the client's PINGs, which would
/// count as progress and keep the connection for ever); followed from the start, because a
/// read may end anywhere in a frame.
///
/// Cheap on the way: a frame's head is read where it lies, and copied only when a read ends
/// inside it.
struct HTTP2FrameHeads {
    /// The bytes to pass before the next frame's head: the preface's first.
    private var skip = 24
    /// The start of a frame that a read ended in: its head, and a PING answer's payload.
    private var partial: [UInt8] = []

    /// The length of a frame's head (RFC 9113 §4.1), and of a whole PING (its head and its
    /// 8-byte payload).
    private static let headLength = 9
    private static let pingLength = headLength + 8

    /// Follows `bytes`, the next the client sent.
    /// - Returns: whether they hold the end of a PING answer (ACK) with `ping`; false while
    ///   `ping` is nil.
    mutating func scan(_ bytes: ByteBuffer, forAnswerTo ping: HTTP2PingData?) -> Bool {
        let awaited = ping?.integer
        return bytes.withUnsafeReadableBytes { raw in
            var answered = false
            var index = 0
            while index < raw.count {
                guard skip == 0 else {
                    let passed = min(skip, raw.count - index)
                    index += passed
                    skip -= passed
                    continue
                }
                if partial.isEmpty,
                   let frame = Self.frame(startingWith: UnsafeRawBufferPointer(rebasing: raw[index...]), awaited) {
                    index += frame.taken
                    skip = frame.skip
                    answered = answered || frame.answers
                    continue
                }
                // The read ends inside the frame's start: gather it, perhaps over reads.
                let taken = min(Self.pingLength - partial.count, raw.count - index)
                partial.append(contentsOf: raw[index..<(index + taken)])
                index += taken
                guard let frame = partial.withUnsafeBytes({ Self.frame(startingWith: $0, awaited) }) else { continue }
                // Bytes gathered past the frame's head go back to the loop.
                index -= partial.count - frame.taken
                partial = []
                skip = frame.skip
                answered = answered || frame.answers
            }
            return answered
        }
    }

    /// The frame that `bytes` start with: how many of them its start takes (its head, or all
    /// of a PING answer, whose payload is compared with `awaited`), and how many of its bytes
    /// follow; nil when `bytes` are too few to tell.
    private static func frame(startingWith bytes: UnsafeRawBufferPointer,
                              _ awaited: UInt64?) -> (taken: Int, skip: Int, answers: Bool)? {
        guard bytes.count >= headLength else { return nil }
        let length = Int(bytes[0]) << 16 | Int(bytes[1]) << 8 | Int(bytes[2])
        // PING (6) with ACK (0x1), and its 8 bytes.
        guard let awaited, bytes[3] == 6, bytes[4] & 0x1 != 0, length == 8 else {
            return (headLength, length, false)
        }
        guard bytes.count >= pingLength else { return nil }
        let payload = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: headLength, as: UInt64.self))
        return (pingLength, 0, payload == awaited)
    }
}
