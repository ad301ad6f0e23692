#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOConcurrencyHelpers
import NIOCore

/// Contents of small files, so that serving one again costs `open`, `fstat` and `close`
/// but no `read`.
///
/// Entries are keyed by device and inode, not by path, so no key has to be built per request
/// and every name of a file shares one copy. An entry is used only while the size and the
/// modification and change times from the `fstat` of the descriptor just opened are
/// unchanged, so an edited or replaced file is never served stale; and since the file is
/// always opened first, every request still goes through the path and symlink checks.
/// Bounded by entry count and total bytes; the oldest entries are evicted first.
final class SmallFileCache: Sendable {
    /// Which file, and which version of it. `ctime` catches in-place writes that restore
    /// `mtime` and size, and a reused inode number (it is set when the file is created).
    struct Identity {
        var key: Key
        var size: Int
        var modified: timespec
        var changed: timespec

        init(_ status: stat) {
            key = Key(device: UInt64(status.st_dev), inode: UInt64(status.st_ino))
            size = Int(status.st_size)
            modified = status.st_mtim
            changed = status.st_ctim
        }

        func isSameVersion(as other: Identity) -> Bool {
            size == other.size
                && modified.tv_sec == other.modified.tv_sec && modified.tv_nsec == other.modified.tv_nsec
                && changed.tv_sec == other.changed.tv_sec && changed.tv_nsec == other.changed.tv_nsec
        }
    }

    /// A file: device and inode.
    struct Key: Hashable {
        var device: UInt64
        var inode: UInt64
    }

    private struct Entry {
        var identity: Identity
        var contents: ByteBuffer
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        /// The keys of `entries`, oldest first.
        var order = CircularBuffer<Key>()
        var totalBytes = 0
    }

    private let state = NIOLockedValueBox(State())
    private let maximumBytes: Int
    private let maximumEntries: Int

    init(maximumBytes: Int, maximumEntries: Int) {
        self.maximumBytes = maximumBytes
        self.maximumEntries = maximumEntries
    }

    /// The cached contents of the file `identity` describes, if they are of this version.
    func contents(of identity: Identity) -> ByteBuffer? {
        state.withLockedValue { state in
            guard let entry = state.entries[identity.key], entry.identity.isSameVersion(as: identity) else { return nil }
            return entry.contents
        }
    }

    /// Remembers `contents` as those of the file `identity` describes, replacing an older version.
    func store(_ contents: ByteBuffer, of identity: Identity) {
        let key = identity.key
        let size = contents.readableBytes
        guard size <= maximumBytes else { return }
        state.withLockedValue { state in
            // A changed file is rare, so finding its old place in the queue may be linear.
            if let old = state.entries.removeValue(forKey: key) {
                state.totalBytes -= old.contents.readableBytes
                if let index = state.order.firstIndex(of: key) {
                    state.order.remove(at: index)
                }
            }
            while state.entries.count >= maximumEntries || state.totalBytes + size > maximumBytes,
                  let oldest = state.order.popFirst()
            {
                state.totalBytes -= state.entries.removeValue(forKey: oldest)?.contents.readableBytes ?? 0
            }
            state.order.append(key)
            state.entries[key] = Entry(identity: identity, contents: contents)
            state.totalBytes += size
        }
    }
}
