#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOConcurrencyHelpers
import NIOCore

/// What a static handler found at each name it served, in the spirit of nginx's
/// `open_file_cache`: per name, the file's identity, its precomputed header values and, for
/// small files, its bytes, for large ones an open descriptor (a ``CachedFile``), so that a
/// repeated request costs one `fstatat` (and a `dup`) instead of a walk of `openat`s,
/// `fstat`, `read` and `close`.
///
/// Entries are keyed by the name asked for (root-relative, after the segment checks) and,
/// for a precompressed sibling, its coding; a name's entries are kept together
/// (``Variants``), so that a precompressed route finds the file and its siblings with one
/// lookup, and are evicted together. The cache itself trusts nothing: the handler
/// uses an entry only while the name still leads to the same version of the same file
/// (``Identity``), and fills it only from the safe walk (see `StaticFileHandler.file`).
/// Bounded by entry count and total bytes held; the oldest entries are evicted first.
/// The lock is held only for a dictionary lookup or an insertion, never for a system call
/// (entries dropped by a store are released after it).
final class OpenFileCache: Sendable {
    /// Which file, and which version of it: device, inode, size, modification and change
    /// times. `ctime` moves on with every write, `chmod`, rename, link and unlink of the
    /// inode, also when `touch -d` puts `mtime` back; a replaced file has another inode.
    struct Identity: Equatable, Sendable {
        var device: UInt64
        var inode: UInt64
        var size: Int
        var modified: timespec
        var changed: timespec

        init(_ status: stat) {
            device = UInt64(status.st_dev)
            inode = UInt64(status.st_ino)
            size = Int(status.st_size)
            modified = status.st_mtim
            changed = status.st_ctim
        }

        static func == (lhs: Identity, rhs: Identity) -> Bool {
            lhs.inode == rhs.inode && lhs.device == rhs.device && lhs.size == rhs.size
                && lhs.modified.tv_sec == rhs.modified.tv_sec && lhs.modified.tv_nsec == rhs.modified.tv_nsec
                && lhs.changed.tv_sec == rhs.changed.tv_sec && lhs.changed.tv_nsec == rhs.changed.tv_nsec
        }
    }

    /// A name below the root and, for a precompressed sibling served in its place, the coding.
    struct Key: Sendable {
        var path: Substring
        var coding: ContentCoding? = nil
    }

    /// A name below the root, compared and hashed as bytes, as the file system compares
    /// them: `String`'s own equality is Unicode canonical equivalence, under which two
    /// spellings of `é` (two distinct files) would share one entry and evict each other, and
    /// its hashing normalizes on every lookup.
    private struct Name: Hashable {
        var path: Substring

        static func == (lhs: Name, rhs: Name) -> Bool {
            var left = lhs.path
            var right = rhs.path
            // Compared as memory: `elementsEqual` over the views goes a byte at a time.
            return left.withUTF8 { left in
                right.withUTF8 { right in
                    left.count == right.count && (left.isEmpty || memcmp(left.baseAddress!, right.baseAddress!, left.count) == 0)
                }
            }
        }

        func hash(into hasher: inout Hasher) {
            var path = path
            path.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        }
    }

    /// What is stored for one name: the file itself and its siblings, by coding.
    struct Variants: Sendable {
        private var file: CachedFile?
        private var br: CachedFile?
        private var zstd: CachedFile?
        private var gzip: CachedFile?

        /// The entry for the file itself (nil) or its sibling in `coding`.
        subscript(coding: ContentCoding?) -> CachedFile? {
            get {
                switch coding {
                case nil: return file
                case .br: return br
                case .zstd: return zstd
                case .gzip: return gzip
                }
            }
            set {
                switch coding {
                case nil: file = newValue
                case .br: br = newValue
                case .zstd: zstd = newValue
                case .gzip: gzip = newValue
                }
            }
        }

        /// What the entries weigh: their contents' bytes and their descriptors' weight.
        fileprivate var bytes: Int {
            [file, br, zstd, gzip].reduce(0) { $0 + ($1?.heldBytes ?? 0) }
        }
    }

    /// A name's entries and whether they were used since the clock hand last passed them.
    private struct Slot {
        var variants: Variants
        var referenced = false
    }

    private struct State {
        var entries: [Name: Slot] = [:]
        /// The names of `entries`, in the order the clock hand visits them.
        var order = CircularBuffer<Name>()
        var totalBytes = 0
    }

    private let state = NIOLockedValueBox(State())
    private let maximumBytes: Int
    private let maximumEntries: Int

    /// A cache of at most `maximumEntries` names holding at most `maximumBytes` of file contents
    /// and descriptors (``CachedFile/descriptorWeight`` each).
    init(maximumBytes: Int, maximumEntries: Int) {
        self.maximumBytes = maximumBytes
        self.maximumEntries = maximumEntries
    }

    /// The entries stored for the name `path`, whatever versions of the files they
    /// describe. Marks them used, which spares them from the next eviction that reaches them.
    subscript(path: Substring) -> Variants {
        state.withLockedValue { state in
            guard let index = state.entries.index(forKey: Name(path: path)) else { return Variants() }
            state.entries.values[index].referenced = true
            return state.entries.values[index].variants
        }
    }

    /// The entry stored for `key` (``subscript(_:)``).
    subscript(key: Key) -> CachedFile? {
        self[key.path][key.coding]
    }

    /// Remembers `file` for `key`, replacing the entry of an older version in its place.
    ///
    /// Eviction is second chance (CLOCK): the hand takes names from the front of the queue;
    /// one used since it was last passed is spared and goes to the back, unmarked; the first
    /// that was not is evicted with its siblings. So names asked for once each, however many,
    /// evict one another and not the entries in use, at a cost of a few queue moves under
    /// the lock.
    func store(_ file: CachedFile, for key: Key) {
        let size = file.heldBytes
        guard size <= maximumBytes else { return }
        // The request's own string must not be kept alive by the key.
        let name = Name(path: Substring(String(key.path)))
        // What the store drops is returned, so released after the lock: its last release
        // closes a held descriptor.
        _ = state.withLockedValue { state -> [Variants] in
            var dropped: [Variants] = []
            var slot = state.entries[name]
            let isNew = slot == nil
            state.totalBytes -= slot?.variants[key.coding]?.heldBytes ?? 0
            // Each name is spared at most once before its mark is gone, so the hand stops
            // within two turns (the name being stored to is never evicted for itself).
            while (isNew && state.entries.count >= maximumEntries) || state.totalBytes + size > maximumBytes,
                  let candidate = state.order.popFirst()
            {
                if candidate == name || state.entries[candidate]?.referenced == true {
                    state.entries[candidate]?.referenced = false
                    state.order.append(candidate)
                } else if let evicted = state.entries.removeValue(forKey: candidate) {
                    state.totalBytes -= evicted.variants.bytes
                    dropped.append(evicted.variants)
                }
            }
            if isNew {
                state.order.append(name)
            }
            // A name stored to again was in use: its mark stays.
            slot = slot ?? Slot(variants: Variants())
            var replaced = Variants()
            replaced[key.coding] = slot!.variants[key.coding]
            dropped.append(replaced)
            slot!.variants[key.coding] = file
            slot!.referenced = !isNew
            state.entries[name] = slot
            state.totalBytes += size
            return dropped
        }
    }

    /// Forgets the entry for `key`, whose name was found missing: its contents or descriptor
    /// go with it (the descriptor once no response holds it), not only when it is evicted.
    func remove(_ key: Key) {
        _ = state.withLockedValue { state -> CachedFile? in
            guard let index = state.entries.index(forKey: Name(path: key.path)),
                  let file = state.entries.values[index].variants[key.coding] else { return nil }
            state.totalBytes -= file.heldBytes
            state.entries.values[index].variants[key.coding] = nil
            return file
        }
    }

    /// How many names have entries and how many bytes of contents (and descriptors, by
    /// weight) they hold (the tests' view of the bounds).
    var usage: (entries: Int, bytes: Int) {
        state.withLockedValue { ($0.entries.count, $0.totalBytes) }
    }
}
