#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ZeroDT

/// A static site's root directory, held open for the handler's lifetime, and the rules for
/// opening names below it: hidden segments and the symlink policy.
///
/// Every lookup is relative to the descriptor opened at start-up, so renaming or replacing
/// the configured path takes effect only with a new handler (a reload). Linux only: it
/// relies on `O_PATH` and `/proc/self/fd`.
final class StaticFileRoot: Sendable {
    private let descriptor: CInt
    /// The root's real path, for `.insideRoot`; empty otherwise.
    private let realPath: [UInt8]
    private let symlinks: SymlinkPolicy
    private let servesHidden: Bool

    /// Opens `path` as a directory, following symlinks in the path itself: the configured
    /// root is trusted, the names below it are not.
    init(path: String, symlinks: SymlinkPolicy, servesHidden: Bool) throws(StaticFileHandler.ConfigurationError) {
        let descriptor = Glibc.open(path, Posix.openPathFlag | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw .init("can't open static root '\(path)' as a directory: \(String(cString: strerror(errno)))")
        }
        var realPath: [UInt8] = []
        if symlinks == .insideRoot {
            guard let resolved = Self.realPath(of: descriptor) else {
                close(descriptor)
                throw .init("can't resolve the real path of static root '\(path)' (is /proc mounted?)")
            }
            realPath = resolved
        }
        self.descriptor = descriptor
        self.realPath = realPath
        self.symlinks = symlinks
        self.servesHidden = servesHidden
    }

    deinit {
        close(descriptor)
    }

    /// `relativePath` as a name below the root, or `notFound` when no such name may be served.
    ///
    /// Leading slashes are dropped so the path can never become absolute, and empty segments
    /// are collapsed (`a//b` is `a/b`): the kernel skips them, so they name the same file, and
    /// the name is the key of the handler's cache, where each spelling would otherwise take an
    /// entry of its own. `.` and `..` segments, NUL bytes and (unless hidden files are served)
    /// segments starting with `.` are refused, although the connection has removed the former.
    /// Allocates only for a path with an empty segment: it runs on every request.
    func checkedPath(_ relativePath: Substring) throws(FileAccessError) -> Substring {
        var path = Substring(relativePath.utf8.drop { $0 == UInt8(ascii: "/") })
        // Over the contiguous bytes, by offset: the generic `UTF8View` walk cost several
        // times as much.
        let verdict = path.withUTF8 { bytes in
            var hasEmptySegment = false
            var start = 0
            for end in 0...bytes.count where end == bytes.count || bytes[end] == UInt8(ascii: "/") {
                defer { start = end + 1 }
                guard end > start else {
                    // Empty: between two slashes (not the end of a trailing one).
                    if end < bytes.count { hasEmptySegment = true }
                    continue
                }
                let segment = UnsafeBufferPointer(rebasing: bytes[start..<end])
                let isDots = segment.count <= 2 && segment.allSatisfy { $0 == UInt8(ascii: ".") }
                guard !isDots, !segment.contains(0), servesHidden || segment[0] != UInt8(ascii: ".") else {
                    return nil as Bool?
                }
            }
            return hasEmptySegment
        }
        guard let hasEmptySegment = verdict else { throw .notFound }
        return hasEmptySegment ? Self.collapsingEmptySegments(path) : path
    }

    /// `path` with each run of slashes made one; a trailing slash stays.
    private static func collapsingEmptySegments(_ path: Substring) -> Substring {
        var collapsed: [UInt8] = []
        collapsed.reserveCapacity(path.utf8.count)
        for byte in path.utf8 where byte != UInt8(ascii: "/") || collapsed.last != UInt8(ascii: "/") {
            collapsed.append(byte)
        }
        return Substring(String(decoding: collapsed, as: UTF8.self))
    }

    /// Opens `relativePath` (a file or a directory; a trailing `/` demands a directory),
    /// after the checks of ``checkedPath(_:)``.
    func open(_ relativePath: Substring) throws(FileAccessError) -> OpenFile {
        let path = try checkedPath(relativePath)
        switch symlinks {
        case .deny:
            return try openWithoutSymlinks(path)
        case .follow:
            return try Self.openForReading(descriptor, path.isEmpty ? "." : path, lookup: 0)
        case .insideRoot:
            return try openInside(descriptor, path.isEmpty ? "." : path)
        }
    }

    /// What the name `path` + `suffix` (checked, root-relative) names now, below `directory`
    /// (the root when nil): one `fstatat`, for a cached entry to be checked against.
    ///
    /// The final component is resolved as `open` resolves it (not followed under `.deny`);
    /// directories on the way are followed. That is safe because only two answers are
    /// trusted: `.missing`, which the walk would find too (where every directory on the way
    /// is a real one both resolve the same inodes; where one is a symlink the walk fails
    /// anyway under `.deny`), and the identity of a regular file, which the handler serves
    /// only when it equals that of a file the walk itself opened.
    func status(of path: Substring, suffix: String = "", in directory: CInt? = nil) -> NameStatus {
        let directory = directory ?? descriptor
        let flags = symlinks == .deny ? AT_SYMLINK_NOFOLLOW : 0
        var status = stat()
        let result = Self.withCString(path, suffix) { name in
            // errno is read here, before the name is freed (for a long name, on the heap).
            fstatat(directory, name, &status, flags) == 0 ? 0 : errno
        }
        guard result == 0 else { return result == ENOENT || result == ENOTDIR ? .missing : .other }
        return status.st_mode & S_IFMT == S_IFREG ? .regularFile(OpenFileCache.Identity(status)) : .other
    }

    /// Opens the entry `name` of the open directory `directory` under the same rules.
    func open(_ name: String, in directory: borrowing OpenFile) throws(FileAccessError) -> OpenFile {
        if symlinks == .insideRoot { return try openInside(directory.descriptor, name) }
        return try Self.openForReading(directory.descriptor, name, lookup: symlinks == .deny ? O_NOFOLLOW : 0)
    }

    /// Resolves `path` to an `O_PATH` handle, checks that it lies inside the root, and only
    /// then opens it (`reopen`): opening a device outside the root could have effects of
    /// its own.
    private func openInside(_ directory: CInt, _ path: some StringProtocol) throws(FileAccessError) -> OpenFile {
        let handle = try Self.openat(directory, path, flags: Posix.openPathFlag | O_CLOEXEC)
        try checkInside(handle)
        return try Self.reopen(handle)
    }

    /// Opens `path` below `directory` for reading in two steps: an `O_PATH` handle, which
    /// opens nothing, and then, only for a regular file or a directory, the same inode.
    /// Opening a FIFO would wake a writer blocked on it (or block us), and opening a device
    /// can have effects of its own, so the type is checked before anything is opened.
    /// - Parameter lookup: `O_NOFOLLOW` and `O_DIRECTORY` as wanted; with `O_PATH`,
    ///   `O_NOFOLLOW` yields the symlink itself, which is then refused by its type.
    private static func openForReading(_ directory: CInt, _ path: some StringProtocol, lookup: CInt)
        throws(FileAccessError) -> OpenFile
    {
        try reopen(openat(directory, path, flags: Posix.openPathFlag | O_CLOEXEC | lookup))
    }

    /// Opens the inode an `O_PATH` handle names for reading, through `/proc/self/fd`, if it
    /// is a regular file or a directory: nothing else is ever opened.
    private static func reopen(_ handle: borrowing OpenFile) throws(FileAccessError) -> OpenFile {
        guard handle.isRegularFile || handle.isDirectory else { throw .notFound }
        // The magic link names the handle's inode itself, not a path: its status holds,
        // and a second `fstat` would only repeat it.
        let descriptor = try openDescriptor(openDescriptors, decimal: handle.descriptor, flags: fileFlags)
        return OpenFile(descriptor: descriptor, status: handle.status)
    }

    /// `/proc/self/fd`, opened once: each reopen then looks up one name in it instead of
    /// walking `/proc`, `self` (a symlink) and `fd` again, which was most of a large file's
    /// `open` on every request. The directory is the process's, so its entries are the
    /// descriptors of every thread. Without `/proc`, a descriptor that fails every lookup.
    private static let openDescriptors = Glibc.open("/proc/self/fd", Posix.openPathFlag | O_DIRECTORY | O_CLOEXEC)

    /// Opens the entry named by `number` in decimal below `directory`, the name made on the
    /// stack (an interpolated `String` costs an allocation per request).
    private static func openDescriptor(_ directory: CInt, decimal number: CInt, flags: CInt)
        throws(FileAccessError) -> CInt
    {
        let result: (descriptor: CInt, errno: CInt) = withUnsafeTemporaryAllocation(of: CChar.self, capacity: 12) {
            name in
            var digits = 0
            var rest = UInt32(bitPattern: number)
            repeat {
                digits += 1
                rest /= 10
            } while rest > 0
            rest = UInt32(bitPattern: number)
            name[digits] = 0
            for index in stride(from: digits - 1, through: 0, by: -1) {
                name[index] = CChar(UInt8(ascii: "0") + UInt8(rest % 10))
                rest /= 10
            }
            while true {
                let descriptor = Glibc.openat(directory, name.baseAddress!, flags)
                if descriptor >= 0 { return (descriptor, 0) }
                if errno != EINTR { return (-1, errno) }
            }
        }
        guard result.descriptor >= 0 else { throw FileAccessError(errno: result.errno) }
        return result.descriptor
    }

    // O_NONBLOCK and O_NOCTTY only in case a special file is swapped in between the type
    // check and the open: a FIFO must not block the event loop, a terminal never become ours.
    private static let fileFlags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC

    /// Walks one `openat` per segment of `path` (checked: no empty segment but a trailing
    /// slash, which demands a directory) with `O_NOFOLLOW`, so that no symlink anywhere
    /// below the root is followed (a symlink fails with ELOOP or ENOTDIR). The segments are
    /// found by their bytes: `split(separator:)` compares `Character`s, which cost more than
    /// the rest of a large file's open.
    private func openWithoutSymlinks(_ path: Substring) throws(FileAccessError) -> OpenFile {
        let mustBeDirectory = path.utf8.last == UInt8(ascii: "/")
        var rest = mustBeDirectory ? path.dropLast() : path
        var directory = descriptor
        defer { if directory != descriptor { close(directory) } }
        while let slash = rest.utf8.firstIndex(of: UInt8(ascii: "/")) {
            let next = try Self.openDescriptor(directory, rest[..<slash],
                                               flags: Posix.openPathFlag | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if directory != descriptor { close(directory) }
            directory = next
            rest = rest[rest.utf8.index(after: slash)...]
        }
        return try Self.openForReading(directory, rest.isEmpty ? "." : rest,
                                       lookup: O_NOFOLLOW | (mustBeDirectory ? O_DIRECTORY : 0))
    }

    /// Refuses a file whose real path leaves the root, or is hidden below it.
    private func checkInside(_ file: borrowing OpenFile) throws(FileAccessError) {
        guard let path = Self.realPath(of: file.descriptor) else { throw .failed }
        let below: ArraySlice<UInt8>
        if realPath == [UInt8(ascii: "/")] {
            below = path.dropFirst()
        } else if path.starts(with: realPath), path.count == realPath.count {
            below = []
        } else if path.starts(with: realPath), path[realPath.count] == UInt8(ascii: "/") {
            below = path[(realPath.count + 1)...]
        } else {
            throw .notFound
        }
        if !servesHidden, below.split(separator: UInt8(ascii: "/")).contains(where: { $0.first == UInt8(ascii: ".") }) {
            throw .notFound
        }
    }

    private static func openat(_ directory: CInt, _ path: some StringProtocol, flags: CInt) throws(FileAccessError)
        -> OpenFile
    {
        try OpenFile(descriptor: openDescriptor(directory, path, flags: flags))
    }

    private static func openDescriptor(_ directory: CInt, _ path: some StringProtocol, flags: CInt)
        throws(FileAccessError) -> CInt
    {
        while true {
            let result = withCString(path) { name in
                let result = Glibc.openat(directory, name, flags)
                return result >= 0 ? result : -errno
            }
            if result >= 0 { return result }
            if result != -EINTR { throw FileAccessError(errno: -result) }
        }
    }

    /// Calls `body` with `path` and `suffix` as one C string, built on the stack for names
    /// of usual length: a request's bytes are not NUL-terminated, and `withCString` would
    /// copy them to the heap. Read `errno` inside `body`: a long name is freed after it.
    private static func withCString<Result>(_ path: some StringProtocol, _ suffix: String = "",
                                            _ body: (UnsafePointer<CChar>) -> Result) -> Result
    {
        let length = path.utf8.count + suffix.utf8.count
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: length + 1) { buffer in
            let end = copy(suffix.utf8, into: buffer, at: copy(path.utf8, into: buffer, at: 0))
            buffer[end] = 0
            return buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: length + 1) { body($0) }
        }
    }

    /// Copies `bytes` into `buffer` from `index`, and says where they end there: at once where
    /// they are contiguous, as a native string's are (byte by byte, a name's copy cost more
    /// than the `fstatat` call of a cached file's change check).
    private static func copy(_ bytes: some Collection<UInt8>, into buffer: UnsafeMutableBufferPointer<UInt8>,
                             at index: Int) -> Int {
        let rest = UnsafeMutableBufferPointer(rebasing: buffer[index...])
        if let count = bytes.withContiguousStorageIfAvailable({ rest.initialize(fromContentsOf: $0) }) {
            return index + count
        }
        var end = index
        for byte in bytes {
            buffer[end] = byte
            end += 1
        }
        return end
    }

    /// What the kernel says `descriptor` refers to, from `/proc/self/fd`.
    private static func realPath(of descriptor: CInt) -> [UInt8]? {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: Int(PATH_MAX)) { buffer in
            let count = readlink("/proc/self/fd/\(descriptor)", buffer.baseAddress!, buffer.count)
            guard count > 0, count < buffer.count else { return nil }
            return UnsafeRawBufferPointer(start: buffer.baseAddress, count: count).map { $0 }
        }
    }
}

/// What one `fstatat` found at a name: see ``StaticFileRoot/status(of:suffix:in:)``.
enum NameStatus: Equatable {
    /// A regular file, this version of it.
    case regularFile(OpenFileCache.Identity)
    /// Nothing: no such name, or a non-directory on the way.
    case missing
    /// Anything else (a directory, a symlink, an error): only the walk can tell.
    case other
}
