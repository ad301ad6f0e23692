import NIOCore

/// The size of each read of a connection, chosen so that an idle keep-alive connection keeps
/// a small receive buffer (issue 14), while a long request head still takes few reads.
///
/// NIO keeps the buffer of a connection's first read for the connection's lifetime and reads
/// into it again whenever no handler holds it (`NIOPooledRecvBufferAllocator`, NIO 2.101).
/// Given a size for the next read (`nextBufferSize()`), it grows that kept buffer to it and
/// never shrinks it: with NIO's adaptive sizing a connection kept the largest buffer it had
/// read into, 512 bytes at least, idle or not. Asked for no size, it reuses the kept buffer
/// as it is unless `record` said the next read may be larger; then it reads into a buffer
/// made by `buffer(allocator:)` for that read alone, which goes once the handlers let go of
/// it.
///
/// So the kept buffer is the first read's, `keptSize` bytes: what a tool's request head
/// (curl's, wrk's, a health check's) fits in, read there without an allocation. A read that
/// fills a buffer makes the next one larger, a buffer of its own: first `largeSize`, which
/// holds most of a browser's heads, so such a head takes two reads on a new connection (a
/// longer one, with many cookies, a read more for each doubling it needs); then doubled after each read that fills it, up to `maximumSize` (a request
/// body), and halved after one that fills at most half of it, not below `largeSize`. A
/// read shorter than the kept buffer goes back to it, unless it was the rest of a read that
/// filled its buffer: a head a little longer than the kept buffer (an API client's, 140
/// bytes) would otherwise take two reads on every request. Reads of a connection whose
/// requests are long (a browser's, or pipelined ones) thus each get a buffer of their own,
/// one allocation per read, and take one read per head again.
///
/// - Important: the channel must read once per turn of its loop (`maxMessagesPerRead` 1):
///   NIO keeps only one buffer then, the first. With more reads per turn it keeps a buffer
///   for each read that found the one before still held, and those would be the large ones.
struct ReceiveBufferSizing: RecvByteBufferAllocator {
    /// The buffer each connection keeps for its lifetime.
    static let keptSize = 128
    /// The first buffer after a read that filled the kept one: nginx's `client_header_buffer_size`,
    /// and the largest block glibc serves from its per-thread cache (a 4 KiB one cost a
    /// 700-byte request about 700 instructions more, callgrind).
    static let largeSize = 1024
    /// The largest buffer a read gets: NIO's adaptive default.
    static let maximumSize = 65536

    /// The size of the next read's buffer; `keptSize` while reads fit the kept buffer. Two
    /// words at most are stored: NIO holds the allocator as an existential, which keeps up to
    /// three words inline and puts larger values in a heap box of their own, one for every
    /// connection (NIO's adaptive allocator took 64 bytes there).
    private(set) var nextSize: Int
    /// The last read filled its buffer: the next is the rest of what it read.
    private var lastReadFilled = false

    /// A connection's sizing starts at the kept buffer; the tests start it elsewhere.
    init(nextSize: Int = Self.keptSize) {
        self.nextSize = nextSize
    }

    func buffer(allocator: ByteBufferAllocator) -> ByteBuffer {
        allocator.buffer(capacity: nextSize)
    }

    /// None, so that NIO reuses the kept buffer as it is (see the type's summary).
    func nextBufferSize() -> Int? {
        nil
    }

    /// Sizes the next read's buffer after a read of `actualReadBytes`.
    /// - Returns: whether the next read needs a buffer of its own (NIO's "may grow").
    mutating func record(actualReadBytes: Int) -> Bool {
        let filled = actualReadBytes >= nextSize
        if filled {
            nextSize = nextSize == Self.keptSize ? Self.largeSize : min(nextSize * 2, Self.maximumSize)
        } else if actualReadBytes < Self.keptSize {
            if !lastReadFilled { nextSize = Self.keptSize }
        } else if actualReadBytes <= nextSize / 2 {
            nextSize = max(nextSize / 2, Self.largeSize)
        }
        lastReadFilled = filled
        return nextSize != Self.keptSize
    }
}
