#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// One version of a file as a static route serves it under one name (and coding): what
/// answering a request needs, computed once when the file was opened.
final class CachedFile: Sendable {
    /// The version of the file this describes.
    let identity: OpenFileCache.Identity
    /// The whole file, when it is at most ``StaticFileHandler/inMemoryLimit`` bytes;
    /// larger files are sent from an open descriptor.
    let contents: ByteBuffer?
    /// The body of a 200 with the whole of `contents`, made once (an array per response
    /// costs an allocation); nil when the file is sent from a descriptor.
    let wholeBody: [HTTPResponse.BodyPart]?
    let validators: RepresentationValidators
    /// The `Content-Type` of the name asked for (of the original file, for a sibling).
    let contentType: String
    /// The fields of a 304: `Vary` (with precompressed codings), `ETag`, `Last-Modified`
    /// and `Cache-Control` (when configured).
    let notModifiedHeaders: HTTPHeaders
    /// Those of any 200 or 206: the above, `Content-Encoding` for a sibling, `Accept-Ranges`.
    let partialHeaders: HTTPHeaders
    /// Those of a 200 with the whole file: the above and `Content-Type`.
    let wholeHeaders: HTTPHeaders
    /// `notModifiedHeaders` and `wholeHeaders` checked and rendered as HTTP/1 fields once
    /// (``ResponseHead/render(_:)``), so that the responses sent most often copy them instead
    /// of checking and writing each field again; nil for headers that fail the check (then
    /// each response is checked, and refused, on its way out).
    let renderedNotModifiedHeaders: ByteBuffer?
    let renderedWholeHeaders: ByteBuffer?

    /// For a file too large for memory: a descriptor of this version, opened by the safe walk
    /// and kept while the entry lives, so that a hit costs a `dup` (``openCopy()``) where the
    /// walk took an `openat`, an `fstat`, an `openat` through `/proc/self/fd` and a `close`
    /// (about 3 µs against 9 µs). Closed when the entry is dropped (replaced, evicted, found
    /// missing) and no response holds it any more; nil when the file is in memory or the
    /// descriptor could not be kept (then every response takes the walk).
    private let descriptor: CInt?

    /// What one descriptor weighs against a cache's byte limit (``heldBytes``): so the limit
    /// bounds the descriptors a cache holds, 64 in 8 MiB, as nginx's `open_file_cache` is
    /// bounded by its `max`.
    static let descriptorWeight = 128 * 1024

    /// The most descriptors all entries of the process hold at once, however many static
    /// routes there are: an eighth of the soft open-file limit, half of what
    /// ``ConnectionLimit`` keeps back from connections. Past it, an entry holds none and its
    /// file takes the walk on every request.
    static let heldDescriptorLimit = (ConnectionLimit.softFileLimit() ?? ConnectionLimit.defaultMaximum) / 8

    /// The descriptors entries hold now, process-wide (``heldDescriptorLimit``).
    private static let heldDescriptors = NIOLockedValueBox(0)

    var size: Int { identity.size }

    /// What the entry weighs against a cache's byte limit: its contents, or a descriptor's weight.
    var heldBytes: Int { contents?.readableBytes ?? (descriptor == nil ? 0 : Self.descriptorWeight) }

    /// Whether a response must open the file by the walk, which then also checks the entry: it
    /// is too large for memory and the entry holds no descriptor.
    var isCheckedByWalk: Bool { contents == nil && descriptor == nil }

    /// Describes `file`, read into memory when small, as the representation of `name` in
    /// `coding` (nil: the file itself).
    /// - Parameters:
    ///   - cacheControl: the route's `Cache-Control` value, if any.
    ///   - varies: whether responses carry `Vary: Accept-Encoding` (a route with precompressed codings).
    init(_ file: borrowing OpenFile, name: Substring, coding: ContentCoding?, cacheControl: String?, varies: Bool)
        throws(FileAccessError)
    {
        identity = OpenFileCache.Identity(file.status)
        contents = file.size <= StaticFileHandler.inMemoryLimit ? try file.readAll() : nil
        descriptor = contents == nil ? Self.holdCopy(of: file.descriptor) : nil
        wholeBody = contents.map { $0.readableBytes > 0 ? [.bytes($0)] : [] }
        var validators = RepresentationValidators(file.status)
        if let coding {
            validators.entityTag.opaque += "-" + coding.rawValue
        }
        self.validators = validators
        contentType = MIMETypes.contentType(forFileName: name)
        var headers = HTTPHeaders()
        if varies {
            headers.add(name: "Vary", value: "Accept-Encoding")
        }
        headers.add(name: "ETag", value: validators.entityTag.description)
        headers.add(name: "Last-Modified", value: HTTPDate.format(validators.lastModified))
        if let cacheControl {
            headers.add(name: "Cache-Control", value: cacheControl)
        }
        notModifiedHeaders = headers
        renderedNotModifiedHeaders = try? ResponseHead.render(headers)
        if let coding {
            headers.add(name: "Content-Encoding", value: coding.rawValue)
        }
        headers.add(name: "Accept-Ranges", value: "bytes")
        partialHeaders = headers
        headers.add(name: "Content-Type", value: contentType)
        wholeHeaders = headers
        renderedWholeHeaders = try? ResponseHead.render(headers)
    }

    deinit {
        if let descriptor {
            close(descriptor)
            Self.heldDescriptors.withLockedValue { $0 -= 1 }
        }
    }

    /// A copy of `descriptor` for an entry to hold, counted; nil past the limit or when `dup` fails.
    private static func holdCopy(of descriptor: CInt) -> CInt? {
        let admitted = heldDescriptors.withLockedValue { held in
            guard held < heldDescriptorLimit else { return false }
            held += 1
            return true
        }
        guard admitted else { return nil }
        let copy = fcntl(descriptor, F_DUPFD_CLOEXEC, 0)
        guard copy >= 0 else {
            heldDescriptors.withLockedValue { $0 -= 1 }
            return nil
        }
        return copy
    }

    /// How many descriptors entries hold now, process-wide (the tests' view of the limit).
    static var heldDescriptorCount: Int { heldDescriptors.withLockedValue { $0 } }

    /// A descriptor of this version of the file for one response, which owns it; nil when
    /// the entry holds none or `dup` fails (out of descriptors).
    func openCopy() -> CInt? {
        guard let descriptor else { return nil }
        let copy = fcntl(descriptor, F_DUPFD_CLOEXEC, 0)
        return copy >= 0 ? copy : nil
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
