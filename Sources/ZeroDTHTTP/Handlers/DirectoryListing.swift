#if canImport(Glibc)
import Glibc
#endif

/// The entries of a directory a static route lists (`browse: true`): the regular files and
/// directories in it that the route would serve, without hidden (dot) names, directories
/// first, then by name in code point order. Names that are not valid UTF-8 are left out:
/// no request can name them.
///
/// Reading stops at ``maximumEntries`` so that a huge directory cannot hold up the event
/// loop for long; the listing then says it is truncated (which entries made it in is up to
/// the order the file system returns them).
struct DirectoryListing {
    /// The most entries one listing reads.
    static let maximumEntries = 10_000

    /// One listed name.
    struct Entry {
        var name: String
        var isDirectory: Bool
        var size: Int
        /// Seconds since 1970.
        var modified: Int
    }

    var entries: [Entry] = []
    /// Whether entries were left out because of ``maximumEntries``.
    var isTruncated = false

    /// Lists `directory`, which `root` opened. A symlink is listed only when `root`'s
    /// ``SymlinkPolicy`` lets it be opened, with what it points to.
    static func read(_ directory: borrowing OpenFile, root: StaticFileRoot) throws(FileAccessError) -> DirectoryListing {
        // `closedir` closes the descriptor it was given, which stays the caller's: hand it a copy.
        let copy = fcntl(directory.descriptor, F_DUPFD_CLOEXEC, 0)
        guard copy >= 0 else { throw FileAccessError(errno: errno) }
        guard let stream = fdopendir(copy) else {
            let code = errno
            close(copy)
            throw FileAccessError(errno: code)
        }
        defer { closedir(stream) }
        var listing = DirectoryListing()
        while let record = readdir(stream) {
            let rawName = withUnsafeBytes(of: record.pointee.d_name) { bytes in Array(bytes.prefix { $0 != 0 }) }
            guard rawName.first != UInt8(ascii: ".") else { continue }
            guard listing.entries.count < maximumEntries else {
                listing.isTruncated = true
                break
            }
            guard let name = String(validating: rawName, as: UTF8.self),
                  let info = status(of: name, in: directory, root: root)
            else { continue }
            let isDirectory = info.st_mode & S_IFMT == S_IFDIR
            guard isDirectory || info.st_mode & S_IFMT == S_IFREG else { continue }
            listing.entries.append(Entry(name: name, isDirectory: isDirectory,
                                         size: isDirectory ? 0 : Int(info.st_size),
                                         modified: Int(info.st_mtim.tv_sec)))
        }
        // UTF-8 byte order is code point order: stable across locales and normalization forms.
        listing.entries.sort { first, second in
            first.isDirectory != second.isDirectory
                ? first.isDirectory : first.name.utf8.lexicographicallyPrecedes(second.name.utf8)
        }
        return listing
    }

    /// The entry's own status, or for a symlink that of its target when the policy lets
    /// the route open it; nil when it cannot be served.
    private static func status(of name: String, in directory: borrowing OpenFile, root: StaticFileRoot) -> stat? {
        var info = stat()
        guard fstatat(directory.descriptor, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return nil }
        guard info.st_mode & S_IFMT == S_IFLNK else { return info }
        do throws(FileAccessError) {
            return try root.open(name, in: directory).status
        } catch {
            return nil
        }
    }
}
