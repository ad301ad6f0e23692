import NIOCore

/// Counts the requests in bytes read: a request is whatever ends with a blank line (no body,
/// no parsing), however the reads cut it.
struct RequestEnds {
    /// How many bytes of "\r\n\r\n" the bytes read so far end with.
    private var matched = 0

    /// The requests that end in `bytes`.
    mutating func count(in bytes: ByteBuffer) -> Int {
        var requests = 0
        bytes.withUnsafeReadableBytes { raw in
            for byte in raw {
                switch (matched, byte) {
                case (0, UInt8(ascii: "\r")), (2, UInt8(ascii: "\r")): matched += 1
                case (1, UInt8(ascii: "\n")): matched = 2
                case (3, UInt8(ascii: "\n")): matched = 0; requests += 1
                case (_, UInt8(ascii: "\r")): matched = 1
                default: matched = 0
                }
            }
        }
        return requests
    }
}
