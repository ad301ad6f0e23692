#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOHTTP1

/// Serves the files below a root directory with the file semantics of RFC 9110: validators,
/// conditional requests, byte ranges and `HEAD`.
///
/// The request's `routeRemainder` names the file relative to the root. A name that is a
/// directory serves the first of the index files that exists, or is redirected (301) to its
/// slash form when the request path lacks the trailing slash. Without an index file it
/// is listed when `browse` is set (see ``DirectoryListing``), and 404 otherwise.
///
/// With a ``StaticFallback``, a name that matches no file (or a directory with neither an
/// index nor a listing) is answered with the fallback file, validators and all.
///
/// With `precompressed` codings, a file (index and fallback files included) is served from
/// its sibling `name.br`, `name.zst` or `name.gz` when the client accepts that coding
/// (``AcceptEncoding``; the most preferred first, ties in the configured order, a missing
/// sibling skipped), as nginx's `gzip_static` and Caddy's `precompressed` do. The sibling is
/// opened under the same rules as the file itself, which must exist too. Its response
/// has the file's `Content-Type`, `Content-Encoding`, the sibling's validators with the
/// coding appended to the tag (so each encoding has its own `ETag` and 304), and ranges
/// of its compressed bytes; a request for several ranges of it gets the whole sibling.
/// Every response of such a route carries `Vary: Accept-Encoding`.
///
/// - Every 200, 206 and 304 carries a strong `ETag` (inode, modification time and size),
///   `Last-Modified` and, when configured, `Cache-Control`; 200 and 206 also carry
///   `Accept-Ranges: bytes`.
/// - Preconditions are evaluated in the order of RFC 9110 §13.2.2 (412 or 304).
/// - `Range` yields 206, a `multipart/byteranges` body for several ranges (coalesced when
///   they overlap or touch), or 416 with `Content-Range: bytes */size`. A malformed `Range`,
///   another unit, more than ``maximumRangeCount`` ranges, or a failed `If-Range` is
///   ignored and the whole file is sent. Range handling is defined for GET only (RFC 9110
///   §14.2), so `HEAD` with `Range` gets the headers of a plain 200.
/// - Names with a segment starting with `.` (`.well-known` included) are 404 unless
///   `hidden` is set. Only regular files are served. Symlinks are handled per
///   ``SymlinkPolicy``; the configured root itself may be a symlink.
/// - Missing files are 404, unreadable ones 403, other failures 500.
///
/// What each name was found to be is cached (``OpenFileCache``): the file's identity, its
/// header values and, up to 64 KiB, its bytes, checked on every request with one `fstatat`
/// that must find the same inode, size, `mtime` and `ctime`; anything else takes the walk
/// of `openat`s again. Larger files are sent with `sendfile` from a copy (`dup`) of a
/// descriptor the entry holds, opened by the walk that made it (nginx's `open_file_cache`,
/// bounded by the cache's byte limit); an entry that could not keep one has its file
/// opened by the walk on every request, whose `fstat` then checks the entry. Everything
/// runs on the event loop without a thread pool, as nginx does: it assumes the files are
/// in the page cache (or on a local disk).
public struct StaticFileHandler: ImmediateHTTPHandler {
    /// `GET` and `HEAD`.
    public var allowedMethods: [HTTPMethod]? { [.GET, .HEAD] }

    /// The most ranges one `Range` field may list before the handler ignores it.
    public static var maximumRangeCount: Int { ByteRanges.maximumCount }

    /// Files up to this size are read into memory; larger ones are sent from the file.
    static let inMemoryLimit = 64 * 1024

    /// The most names one handler's open-file cache remembers.
    static let cacheEntryLimit = 1024

    /// The most bytes of file contents one handler's open-file cache holds.
    static let cacheByteLimit = 8 * 1024 * 1024

    private let root: StaticFileRoot
    private let indexNames: [String]
    private let cacheControl: String?
    private let fallback: StaticFallback?
    private let browse: Bool
    private let precompressed: [ContentCoding]
    /// What each name served was found to be; see ``OpenFileCache``.
    let cache = OpenFileCache(maximumBytes: cacheByteLimit, maximumEntries: cacheEntryLimit)

    /// Creates a handler serving the files below `root`.
    ///
    /// - Parameters:
    ///   - root: the directory to serve. It is opened now and held open, so a later rename
    ///     or symlink switch of this path takes effect only with a new handler.
    ///   - index: the file names tried, in order, for a request naming a directory.
    ///   - symlinks: which symbolic links below `root` may be followed.
    ///   - cacheControl: the `Cache-Control` value for files and 304s; none when nil.
    ///   - hidden: whether names with a segment starting with `.` are served.
    ///   - fallback: what a name that matches no file is answered with; 404 when nil.
    ///   - browse: whether a directory without an index file is listed.
    ///   - precompressed: the codings whose sibling files are served, in order of preference.
    /// - Throws: ``ConfigurationError`` when `root` cannot be opened as a directory, its real
    ///   path cannot be found (needed for `.insideRoot`), or an index name is not a plain
    ///   file name.
    public init(root: String, index: [String] = ["index.html"], symlinks: SymlinkPolicy = .deny,
                cacheControl: String? = nil, hidden: Bool = false, fallback: StaticFallback? = nil,
                browse: Bool = false, precompressed: [ContentCoding] = []) throws
    {
        for name in index where name.isEmpty || name == "." || name == ".." || name.utf8.contains(UInt8(ascii: "/"))
            || name.utf8.contains(0)
        {
            throw ConfigurationError("index name '\(name)' must be a plain file name")
        }
        self.root = try StaticFileRoot(path: root, symlinks: symlinks, servesHidden: hidden)
        self.indexNames = index
        self.cacheControl = cacheControl
        self.fallback = fallback
        self.browse = browse
        self.precompressed = precompressed
    }

    /// Answers at once with the file, a redirect or an error.
    ///
    /// - Important: runs `open`, `fstat` and, for small files, `pread` on the calling
    ///   thread (the event loop). A response with `.file` parts owns their handle.
    public func respond(to request: HTTPRequest, context: HTTPRequestContext) -> HTTPReply {
        .response(response(to: request))
    }

    func immediateResponse(to request: HTTPRequest, context: HTTPRequestContext) -> HTTPResponse {
        response(to: request)
    }

    private func response(to request: HTTPRequest) -> HTTPResponse {
        do throws(FileAccessError) {
            return try response(to: request, naming: request.routeRemainder)
        } catch .notFound {
            guard let fallback, fallback.applies(to: request.routeRemainder) else { return .error(.notFound) }
            do throws(FileAccessError) {
                let path = try root.checkedPath(fallback.path[...])
                return try serve(path, found: root.status(of: path), cached: cache[path], request: request)
            } catch {
                return error.response
            }
        } catch {
            return error.response
        }
    }

    private func response(to request: HTTPRequest, naming name: Substring) throws(FileAccessError) -> HTTPResponse {
        let path = try root.checkedPath(name)
        var cached = OpenFileCache.Variants()
        if !path.isEmpty, path.utf8.last != UInt8(ascii: "/") {
            cached = cache[path]
            // A large file whose entry holds no descriptor is opened in any case, and the walk
            // that opens it tells whether the entry still holds (`file`): an `fstatat` first
            // would be one system call more. A precompressed route only looks at the
            // original before it chooses.
            if cached[nil]?.isCheckedByWalk != true || !precompressed.isEmpty {
                let found = root.status(of: path)
                if found != .other {
                    return try serve(path, found: found, cached: cached, request: request)
                }
            }
        } else if request.path.utf8.last == UInt8(ascii: "/"), let first = indexNames.first {
            // A directory's first index, still the version cached under its name: what the
            // walk below would serve, since it tries that index first (later ones only on a
            // miss, as one may have appeared before them).
            let index = path + first
            let found = root.status(of: index[...])
            let cachedIndex = cache[index[...]]
            if case .regularFile(let identity) = found, cachedIndex[nil]?.identity == identity {
                return try serve(index[...], found: found, cached: cachedIndex, request: request)
            }
        }
        let target = try root.open(path)
        guard target.isDirectory else {
            return try serve(path, found: .other, cached: cached, opened: target, request: request)
        }
        guard request.path.utf8.last == UInt8(ascii: "/") else {
            return HTTPResponse.redirectAddingSlash(uri: request.uri, query: request.query)
        }
        let directory = target.descriptor
        for indexName in indexNames {
            let found = root.status(of: indexName[...], in: directory)
            // A missing index, or a directory or FIFO named like one, is skipped.
            if found == .missing { continue }
            let indexPath = (path + indexName)[...]
            do throws(FileAccessError) {
                return try serve(
                    indexPath, found: found, cached: cache[indexPath], request: request,
                    status: { root.status(of: indexName[...], suffix: $0, in: directory) },
                    open: { (suffix) throws(FileAccessError) in try root.open(indexName + suffix, in: target) })
            } catch .notFound {
                continue
            }
        }
        guard browse else { throw .notFound }
        return try DirectoryListing.read(target, root: root).response(to: request)
    }

    /// Serves the file at `path` (checked, below the root) or, when it has one, its sibling
    /// in the coding the client prefers.
    private func serve(_ path: Substring, found: NameStatus, cached: OpenFileCache.Variants,
                       opened: consuming OpenFile? = nil, request: HTTPRequest) throws(FileAccessError) -> HTTPResponse
    {
        try serve(path, found: found, cached: cached, opened: opened, request: request,
                  status: { root.status(of: path, suffix: $0) },
                  open: { (suffix) throws(FileAccessError) in try root.open((path + suffix)[...]) })
    }

    /// Serves the regular file `path` names (below the root: the cache key), or the sibling
    /// in the coding the client prefers. `status` and `open` look up and open the file
    /// with a suffix (the empty string: the file itself); `found` is what `status("")`
    /// gave (`.other` when it was not asked), `cached` the entries stored for the name
    /// (one lookup for the file and its siblings), and `opened` the file when the caller has
    /// already opened it.
    private func serve(_ path: Substring, found: NameStatus, cached: OpenFileCache.Variants,
                       opened: consuming OpenFile? = nil, request: HTTPRequest, status: (String) -> NameStatus,
                       open: (String) throws(FileAccessError) -> OpenFile) throws(FileAccessError) -> HTTPResponse
    {
        var opened = opened
        let key = OpenFileCache.Key(path: path, coding: nil)
        // A large file is opened for its descriptor only once it is known to be served.
        let file = try self.file(key, found: found, cached: cached[nil], needsDescriptor: precompressed.isEmpty,
                                 opened: &opened) { () throws(FileAccessError) in try open("") }
        if !precompressed.isEmpty {
            for coding in AcceptEncoding(request).ranked(precompressed) {
                let siblingKey = OpenFileCache.Key(path: path, coding: coding)
                let cachedSibling = cached[coding]
                var openedSibling: OpenFile? = nil
                let sibling: CachedFile
                do throws(FileAccessError) {
                    // A large sibling is opened without an `fstatat` first, as a large file is.
                    let found = cachedSibling?.isCheckedByWalk == true ? NameStatus.other : status(coding.fileSuffix)
                    sibling = try self.file(siblingKey, found: found, cached: cachedSibling, needsDescriptor: true,
                                            opened: &openedSibling) { () throws(FileAccessError) in
                        try open(coding.fileSuffix)
                    }
                } catch {
                    // Missing, or refused by the same rules as any name: the next coding.
                    continue
                }
                return try respond(with: sibling, opened: &openedSibling, coded: true, request: request)
            }
            if file.isCheckedByWalk, opened == nil {
                let file = try self.file(key, found: found, cached: file, needsDescriptor: true, opened: &opened) {
                    () throws(FileAccessError) in try open("")
                }
                return try respond(with: file, opened: &opened, coded: false, request: request)
            }
        }
        return try respond(with: file, opened: &opened, coded: false, request: request)
    }

    /// The entry for `key`: `cached`, the one stored, while the name still leads to the
    /// version it describes (`found`, from one `fstatat`, or the file the walk opened), else
    /// one made from the file the safe walk (`open`) opens, which is then cached. For a
    /// large file with `needsDescriptor`, the file is opened and left in `opened`, and must
    /// be the entry's version.
    ///
    /// Why a hit is safe: the entry was made from a file the walk opened under every rule
    /// (segments, symlink policy, inside the root), and a hit means the name now leads to
    /// the same inode with the same size, `mtime` and `ctime`. Any write, `chmod`, rename,
    /// new or removed hard link changes `ctime`, so it is the same bytes and permissions
    /// the walk was allowed to serve: nothing *new* becomes servable. A directory on the
    /// way swapped for a symlink (forbidden under `.deny`) leads to another inode, or to
    /// the very version served before it was moved (the directory's rename leaves the
    /// file's `ctime` alone); either way no file the walk would refuse is served for the
    /// first time. Anything else found is a miss and takes the walk, whose errors stand.
    /// - Parameter opened: the file at the name when the caller has opened it already.
    private func file(_ key: OpenFileCache.Key, found: NameStatus, cached: CachedFile?, needsDescriptor: Bool,
                      opened: inout OpenFile?, open: () throws(FileAccessError) -> OpenFile)
        throws(FileAccessError) -> CachedFile
    {
        if opened == nil {
            if case .regularFile(let identity) = found, let cached, cached.identity == identity {
                // Sent from memory or from a copy of the entry's descriptor (`body`).
                guard cached.isCheckedByWalk, needsDescriptor else { return cached }
            } else if found == .missing {
                if cached != nil { cache.remove(key) }
                throw .notFound
            }
            opened = try open()
        }
        guard let file = opened.take() else { throw .failed }
        guard file.isRegularFile else { throw .notFound }
        // The walk opened the version the entry was made from: the same bytes and permissions.
        if let cached, cached.identity == OpenFileCache.Identity(file.status) {
            if cached.contents == nil {
                opened = consume file
            }
            return cached
        }
        let entry = try CachedFile(file, name: key.path, coding: key.coding, cacheControl: cacheControl,
                                   varies: !precompressed.isEmpty)
        cache.store(entry, for: key)
        if entry.contents == nil {
            opened = consume file
        }
        return entry
    }

    /// Answers with `file`, a sibling in its coding when `coded`. `opened` holds the open
    /// file when it is too large for memory.
    private func respond(with file: CachedFile, opened: inout OpenFile?, coded: Bool, request: HTTPRequest)
        throws(FileAccessError) -> HTTPResponse
    {
        let size = file.size
        var selection = ByteRangeSelection.whole
        if request.mayHoldPreconditionOrRange {
            // Read once: a head the fast path read is made into NIO's form at each read.
            let headers = request.head.headers
            switch file.validators.evaluatePreconditions(headers, method: request.method) {
            case .preconditionFailed: return .error(.preconditionFailed)
            case .notModified:
                return HTTPResponse(status: .notModified, headers: file.notModifiedHeaders,
                                    rendered: file.renderedNotModifiedHeaders)
            case .proceed: break
            }
            if request.method == .GET, file.validators.permitsRange(headers) {
                selection = ByteRanges.select(headers["Range"], size: size)
            }
        }
        if coded, case .ranges(let ranges) = selection, ranges.count > 1 {
            // Each part of a multipart body would need the coding, which is the whole
            // representation's: send the whole instead, as a server may (RFC 9110 §14.2).
            selection = .whole
        }
        switch selection {
        case .whole:
            let parts = if let whole = file.wholeBody { whole } else { try body(file, &opened).parts(0..<size) }
            return HTTPResponse(status: .ok, headers: file.wholeHeaders, rendered: file.renderedWholeHeaders,
                                body: parts)
        case .unsatisfiable:
            var errorHeaders: HTTPHeaders = ["Content-Range": "bytes */\(size)", "Accept-Ranges": "bytes"]
            if !precompressed.isEmpty { errorHeaders.add(name: "Vary", value: "Accept-Encoding") }
            return .error(.rangeNotSatisfiable, headers: errorHeaders)
        case .ranges(let ranges) where ranges.count == 1:
            var headers = file.partialHeaders
            headers.add(name: "Content-Type", value: file.contentType)
            headers.add(name: "Content-Range", value: FileBody.contentRange(ranges[0], size: size))
            return HTTPResponse(status: .partialContent, headers: headers, body: try body(file, &opened).parts(ranges[0]))
        case .ranges(let ranges):
            let boundary = "zerodt-" + String(UInt64.random(in: .min ... .max), radix: 16)
            var headers = file.partialHeaders
            headers.add(name: "Content-Type", value: "multipart/byteranges; boundary=\(boundary)")
            let body = try body(file, &opened).multipart(ranges, size: size, contentType: file.contentType,
                                                         boundary: boundary)
            return HTTPResponse(status: .partialContent, headers: headers, body: body)
        }
    }

    /// Whether `headers` hold a precondition (`If-…`) or `Range`. Most requests hold none,
    /// and then one pass over the names replaces a lookup per such field, six in all.
    static func mayHoldPreconditionOrRange(_ headers: HTTPHeaders) -> Bool {
        headers.contains { name, _ in mayNamePreconditionOrRange(name.utf8) }
    }

    /// The fields that make a request conditional (RFC 9110 §13.1) or partial (§14.2).
    private static let preconditionOrRangeNames = ["range", "if-match", "if-range", "if-none-match",
                                                   "if-modified-since", "if-unmodified-since"].map { Array($0.utf8) }

    /// Whether a field named `name`, in any case, is a precondition or `Range`
    /// (``mayHoldPreconditionOrRange(_:)``; the fast path notes it as it parses). By the
    /// whole name: `Referer`, on nearly every request a browser makes for a file, is not one.
    /// Inlined: for most names it is a test of the length, cheaper than a call.
    @inline(__always)
    static func mayNamePreconditionOrRange(_ name: some Collection<UInt8>) -> Bool {
        // By length first, the lengths of `preconditionOrRangeNames`: the fast path asks this
        // of every field, and comparing each with six names cost a small request about 470
        // instructions.
        switch name.count {
        case 5, 8, 13, 17, 19: break
        default: return false
        }
        return preconditionOrRangeNames.contains { name.isASCIICaseInsensitiveEqual(to: $0) }
    }

    /// The body's source: `file`'s contents, the file the walk opened (`opened`), or a copy
    /// of the entry's descriptor.
    private func body(_ file: CachedFile, _ opened: inout OpenFile?) throws(FileAccessError) -> FileBody {
        if let contents = file.contents { return .bytes(contents) }
        if let open = opened.take() {
            return .file(NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: open.takeDescriptor()))
        }
        guard let copy = file.openCopy() else { throw .failed }
        return .file(NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: copy))
    }
}

extension StaticFileHandler {
    /// Why a ``StaticFileHandler`` could not be created.
    public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
        /// What is wrong, naming the path or index name.
        public let description: String

        init(_ description: String) {
            self.description = description
        }
    }
}

extension FileAccessError {
    fileprivate var response: HTTPResponse {
        switch self {
        case .notFound: return .error(.notFound)
        case .forbidden: return .error(.forbidden)
        case .failed: return .error(.internalServerError)
        }
    }
}
