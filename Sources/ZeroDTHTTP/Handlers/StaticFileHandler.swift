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
/// Files up to 64 KiB are sent from memory, through a small cache validated by `fstat` on
/// every request; larger ones are sent with `sendfile` from the open file. Everything runs
/// on the event loop without a thread pool, as nginx does: it assumes the files are in the
/// page cache (or on a local disk).
public struct StaticFileHandler: HTTPHandler {
    /// `GET` and `HEAD`.
    public var allowedMethods: [HTTPMethod]? { [.GET, .HEAD] }

    /// The most ranges one `Range` field may list before the handler ignores it.
    public static var maximumRangeCount: Int { ByteRanges.maximumCount }

    /// Files up to this size are read into memory; larger ones are sent from the file.
    static let inMemoryLimit = 64 * 1024

    private let root: StaticFileRoot
    private let indexNames: [String]
    private let cacheControl: String?
    private let fallback: StaticFallback?
    private let browse: Bool
    private let precompressed: [ContentCoding]
    private let cache = SmallFileCache(maximumBytes: 8 * 1024 * 1024, maximumEntries: 1024)

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

    private func response(to request: HTTPRequest) -> HTTPResponse {
        do throws(FileAccessError) {
            return try response(to: request, naming: request.routeRemainder)
        } catch .notFound {
            guard let fallback, fallback.applies(to: request.routeRemainder) else { return .error(.notFound) }
            do throws(FileAccessError) {
                return try serve(root.open(fallback.path[...]), name: fallback.path[...], request: request) {
                    (suffix) throws(FileAccessError) in try root.open((fallback.path + suffix)[...])
                }
            } catch {
                return error.response
            }
        } catch {
            return error.response
        }
    }

    private func response(to request: HTTPRequest, naming name: Substring) throws(FileAccessError) -> HTTPResponse {
        let target = try root.open(name)
        guard target.isDirectory else {
            return try serve(target, name: name, request: request) {
                (suffix) throws(FileAccessError) in try root.open((name + suffix)[...])
            }
        }
        guard request.path.utf8.last == UInt8(ascii: "/") else {
            return HTTPResponse.redirectAddingSlash(uri: request.head.uri, query: request.query)
        }
        for indexName in indexNames {
            let index: OpenFile
            do throws(FileAccessError) {
                index = try root.open(indexName, in: target)
            } catch .notFound {
                continue
            }
            // A directory or FIFO named like an index is skipped, as a missing one is.
            guard index.isRegularFile else { continue }
            return try serve(index, name: indexName[...], request: request) {
                (suffix) throws(FileAccessError) in try root.open(indexName + suffix, in: target)
            }
        }
        guard browse else { throw .notFound }
        return try DirectoryListing.read(target, root: root).response(to: request)
    }

    /// Serves `file`, or the sibling in the coding the client prefers, opened by
    /// `openSibling` with the coding's file suffix.
    private func serve(_ file: consuming OpenFile, name: Substring, request: HTTPRequest,
                       openSibling: (String) throws(FileAccessError) -> OpenFile) throws(FileAccessError) -> HTTPResponse
    {
        guard file.isRegularFile else { throw .notFound }
        guard !precompressed.isEmpty else { return try serve(file, name: name, coding: nil, request: request) }
        for coding in AcceptEncoding(request.head.headers).ranked(precompressed) {
            let sibling: OpenFile
            do throws(FileAccessError) {
                sibling = try openSibling(coding.fileSuffix)
            } catch {
                // Missing, or refused by the same rules as any name: the next coding.
                continue
            }
            guard sibling.isRegularFile else { continue }
            return try serve(sibling, name: name, coding: coding, request: request)
        }
        return try serve(file, name: name, coding: nil, request: request)
    }

    /// Serves `file` as the representation of `name` in `coding` (nil: the file itself).
    private func serve(_ file: consuming OpenFile, name: Substring, coding: ContentCoding?, request: HTTPRequest)
        throws(FileAccessError) -> HTTPResponse
    {
        let size = file.size
        var validators = RepresentationValidators(file.status)
        var headers = HTTPHeaders()
        if !precompressed.isEmpty {
            headers.add(name: "Vary", value: "Accept-Encoding")
        }
        if let coding {
            validators.entityTag.opaque += "-" + coding.rawValue
        }
        headers.add(name: "ETag", value: validators.entityTag.description)
        headers.add(name: "Last-Modified", value: HTTPDate.format(validators.lastModified))
        if let cacheControl {
            headers.add(name: "Cache-Control", value: cacheControl)
        }
        switch validators.evaluatePreconditions(request.head.headers, method: request.method) {
        case .preconditionFailed: return .error(.preconditionFailed)
        case .notModified: return HTTPResponse(status: .notModified, headers: headers)
        case .proceed: break
        }

        if let coding {
            headers.add(name: "Content-Encoding", value: coding.rawValue)
        }
        headers.add(name: "Accept-Ranges", value: "bytes")
        var selection = ByteRangeSelection.whole
        if request.method == .GET, validators.permitsRange(request.head.headers) {
            selection = ByteRanges.select(request.head.headers["Range"], size: size)
        }
        let contentType = MIMETypes.contentType(forFileName: name)
        if coding != nil, case .ranges(let ranges) = selection, ranges.count > 1 {
            // Each part of a multipart body would need the coding, which is the whole
            // representation's: send the whole instead, as a server may (RFC 9110 §14.2).
            selection = .whole
        }
        switch selection {
        case .whole:
            headers.add(name: "Content-Type", value: contentType)
            return HTTPResponse(status: .ok, headers: headers, body: try contents(of: file).parts(0..<size))
        case .unsatisfiable:
            var errorHeaders: HTTPHeaders = ["Content-Range": "bytes */\(size)", "Accept-Ranges": "bytes"]
            if !precompressed.isEmpty { errorHeaders.add(name: "Vary", value: "Accept-Encoding") }
            return .error(.rangeNotSatisfiable, headers: errorHeaders)
        case .ranges(let ranges) where ranges.count == 1:
            headers.add(name: "Content-Type", value: contentType)
            headers.add(name: "Content-Range", value: FileBody.contentRange(ranges[0], size: size))
            return HTTPResponse(status: .partialContent, headers: headers, body: try contents(of: file).parts(ranges[0]))
        case .ranges(let ranges):
            let boundary = "zerodt-" + String(UInt64.random(in: .min ... .max), radix: 16)
            headers.add(name: "Content-Type", value: "multipart/byteranges; boundary=\(boundary)")
            let body = try contents(of: file).multipart(ranges, size: size, contentType: contentType, boundary: boundary)
            return HTTPResponse(status: .partialContent, headers: headers, body: body)
        }
    }

    private func contents(of file: consuming OpenFile) throws(FileAccessError) -> FileBody {
        guard file.size <= Self.inMemoryLimit else {
            return .file(NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: file.takeDescriptor()))
        }
        let identity = SmallFileCache.Identity(file.status)
        if let cached = cache.contents(of: identity) {
            return .bytes(cached)
        }
        let contents = try file.readAll()
        cache.store(contents, of: identity)
        return .bytes(contents)
    }

    /// 301 to the slash form of the request's own target, query kept. Leading slashes and
    /// backslashes collapse to one `/`, so `//host` cannot become a redirect off-site.
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

extension RepresentationValidators {
    /// The validators of a file: a strong tag of inode, modification time (to the
    /// nanosecond) and size, so a file replaced by one with the same size and `mtime` — as
    /// reproducible builds produce — still gets a new tag.
    fileprivate init(_ status: stat) {
        let tag = String(UInt64(status.st_ino), radix: 16) + "-" + String(status.st_mtim.tv_sec, radix: 16) + "."
            + String(status.st_mtim.tv_nsec, radix: 16) + "-" + String(status.st_size, radix: 16)
        self.init(entityTag: EntityTag(opaque: tag, isWeak: false), lastModified: Int(status.st_mtim.tv_sec))
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
