import Foundation
import NIOHTTP1
import Testing

@testable import ZeroDTHTTP

/// The open-file cache as the handler uses it: every change to a served file, or to the
/// directories on its way, is seen by the next request, although that request finds an
/// entry made by the previous one.
@Suite struct StaticFileCacheTests {
    let outside: TemporaryTree
    let root: String
    let large = patternBytes(StaticFileHandler.inMemoryLimit + 1)

    init() throws {
        outside = try TemporaryTree()
        root = outside.path + "/site"
        try outside.file("site/a.txt", "first")
        try outside.file("site/d/f.txt", "inside")
        try outside.file("site/large.bin", large)
        try outside.file("site/docs/index.html", "index")
        try outside.file("other/f.txt", "OTHER!")
    }

    func handler(_ symlinks: SymlinkPolicy = .deny, precompressed: [ContentCoding] = []) throws -> StaticFileHandler {
        try StaticFileHandler(root: root, symlinks: symlinks, precompressed: precompressed)
    }

    func status(of path: String) -> stat {
        var status = stat()
        stat(root + "/" + path, &status)
        return status
    }

    /// The entry cached for `path`, which must describe the file there now.
    func expectCachedCurrent(_ handler: StaticFileHandler, _ path: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let entry = handler.cache[OpenFileCache.Key(path: path[...], coding: nil)]
        #expect(entry?.identity == OpenFileCache.Identity(status(of: path)), sourceLocation: sourceLocation)
    }

    @Test func aRepeatedRequestIsAnsweredFromTheEntry() throws {
        let handler = try handler()
        let first = try get(handler, "/a.txt")
        expectCachedCurrent(handler, "a.txt")
        let entry = handler.cache[OpenFileCache.Key(path: "a.txt", coding: nil)]
        let second = try get(handler, "/a.txt")
        #expect(handler.cache[OpenFileCache.Key(path: "a.txt", coding: nil)] === entry, "a hit keeps the entry")
        #expect(second.text == "first")
        #expect(second.headers == first.headers)
    }

    /// Runs of slashes name the same file, so they share its entry: one client cannot fill
    /// the cache (and evict every other entry) with spellings of one file.
    @Test func spellingsWithRunsOfSlashesShareOneEntry() throws {
        let handler = try handler()
        #expect(try get(handler, "/d/f.txt").text == "inside")
        let entry = handler.cache[OpenFileCache.Key(path: "d/f.txt", coding: nil)]
        for slashes in 1...40 {
            let leading = String(repeating: "/", count: slashes % 3 + 1)
            let path = leading + "d" + String(repeating: "/", count: slashes) + "f.txt"
            #expect(try get(handler, path).text == "inside", "\(path)")
        }
        #expect(handler.cache[OpenFileCache.Key(path: "d/f.txt", coding: nil)] === entry)
        #expect(handler.cache.usage == (1, "inside".utf8.count))
        #expect(try get(handler, "/docs//").text == "index", "a trailing slash still asks for a directory")
    }

    /// Same size, and `mtime` put back with `touch -d`: only `ctime` tells, and a cache that
    /// compared size and `mtime` would serve the old bytes.
    @Test(arguments: ["a.txt", "d/f.txt"])
    func aFileEditedInPlaceWithItsTimeRestoredIsServedAnew(_ path: String) throws {
        let handler = try handler()
        let before = try get(handler, "/" + path).text
        let modified = status(of: path).st_mtim
        try outside.overwriteInPlace("site/" + path, String(repeating: "x", count: before.utf8.count))
        try outside.setModified("site/" + path, seconds: modified.tv_sec, nanoseconds: modified.tv_nsec)
        #expect(status(of: path).st_size == before.utf8.count)
        #expect(try get(handler, "/" + path).text == String(repeating: "x", count: before.utf8.count))
        expectCachedCurrent(handler, path)
    }

    @Test func aLargeFileEditedInPlaceIsSentAnewFromTheFile() throws {
        let handler = try handler()
        let first = try get(handler, "/large.bin")
        #expect(first.body == large && first.partIsFile == [true])
        var changed = large
        changed[0] ^= 0xFF
        let modified = status(of: "large.bin").st_mtim
        try outside.file("site/large.bin", changed)
        try outside.setModified("site/large.bin", seconds: modified.tv_sec, nanoseconds: modified.tv_nsec)
        let second = try get(handler, "/large.bin")
        #expect(second.body == changed && second.partIsFile == [true])
        #expect(try get(handler, "/large.bin").body == changed, "a hit still sends the file's bytes")
        expectCachedCurrent(handler, "large.bin")
    }

    /// A large file's entry is checked with one `fstatat`, and sent from a copy of the
    /// descriptor it holds: whatever else the name leads to now takes the walk.
    @Test func aLargeFileIsCheckedOnEveryRequest() throws {
        let handler = try handler()
        #expect(try get(handler, "/large.bin").body == large)
        let entry = handler.cache[OpenFileCache.Key(path: "large.bin")]
        let again = try get(handler, "/large.bin")
        #expect(again.body == large && again.partIsFile == [true])
        #expect(handler.cache[OpenFileCache.Key(path: "large.bin")] === entry, "the same version")

        #expect(rename(root + "/large.bin", outside.path + "/large.bin") == 0)
        #expect(try get(handler, "/large.bin").status == .notFound)
        #expect(handler.cache[OpenFileCache.Key(path: "large.bin")] == nil, "a missing name drops its descriptor")
        #expect(mkdir(root + "/large.bin", 0o755) == 0)
        #expect(try get(handler, "/large.bin").status == .movedPermanently, "now a directory")
        #expect(rmdir(root + "/large.bin") == 0)
        try outside.symlink("site/large.bin", to: "../large.bin")
        #expect(try get(handler, "/large.bin").status == .notFound, "a symlink, under deny")
        #expect(unlink(root + "/large.bin") == 0)
        #expect(rename(outside.path + "/large.bin", root + "/large.bin") == 0)
        let back = try get(handler, "/large.bin")
        #expect(back.body == large && back.partIsFile == [true])
        expectCachedCurrent(handler, "large.bin")
    }

    /// A hit takes no walk: a directory on the way moved out of the root and replaced by a
    /// symlink to it (which the walk refuses under `deny`) leaves the file's `ctime` alone,
    /// so its entry is still used, as a small file's is (see the documentation), and the
    /// file sent from the descriptor the entry holds.
    @Test func aLargeFileHitIsSentFromTheEntrysDescriptor() throws {
        try outside.file("site/d/large.bin", large)
        let handler = try handler()
        #expect(try get(handler, "/d/large.bin").body == large)
        #expect(rename(root + "/d", outside.path + "/d") == 0)
        try outside.symlink("site/d", to: "../d")
        let hit = try get(handler, "/d/large.bin")
        #expect(hit.body == large && hit.partIsFile == [true])
        #expect(try get(handler, "/d/f.txt").status == .notFound, "a name not cached takes the walk")
    }

    @Test func aLargeSiblingIsCheckedOnEveryRequest() throws {
        let handler = try handler(precompressed: [.br, .gzip])
        let accepts = [("Accept-Encoding", "br, gzip")]
        try outside.file("site/a.txt.br", large)
        try outside.file("site/a.txt.gz", "zipped")
        for _ in 0..<2 {
            let coded = try get(handler, "/a.txt", headers: accepts)
            #expect(coded.body == large && coded.partIsFile == [true])
            #expect(coded.header("Content-Encoding") == "br")
        }
        let entry = handler.cache[OpenFileCache.Key(path: "a.txt", coding: .br)]
        #expect(entry?.identity == OpenFileCache.Identity(status(of: "a.txt.br")))
        #expect(unlink(root + "/a.txt.br") == 0)
        #expect(try get(handler, "/a.txt", headers: accepts).text == "zipped", "the next coding")
        #expect(mkdir(root + "/a.txt.br", 0o755) == 0)
        #expect(try get(handler, "/a.txt", headers: accepts).text == "zipped", "a directory is no sibling")
    }

    @Test func aFileReplacedByRenameIsServedAnew() throws {
        let handler = try handler()
        #expect(try get(handler, "/a.txt").text == "first")
        try outside.file("site/a.txt.new", "fresh")
        #expect(rename(root + "/a.txt.new", root + "/a.txt") == 0)
        let served = try get(handler, "/a.txt")
        #expect(served.text == "fresh")
        expectCachedCurrent(handler, "a.txt")
    }

    @Test func aDeletedFileIsNotFound() throws {
        let handler = try handler()
        #expect(try get(handler, "/a.txt").status == .ok)
        #expect(unlink(root + "/a.txt") == 0)
        #expect(try get(handler, "/a.txt").status == .notFound)
        #expect(try get(handler, "/d/f.txt").status == .ok)
        #expect(rename(root + "/d", root + "/e") == 0)
        #expect(try get(handler, "/d/f.txt").status == .notFound, "a directory renamed away")
    }

    @Test(.enabled(if: getuid() != 0, "root reads anything"))
    func aFileMadeUnreadableIsForbidden() throws {
        let handler = try handler()
        #expect(try get(handler, "/a.txt").status == .ok)
        #expect(chmod(root + "/a.txt", 0) == 0)
        #expect(try get(handler, "/a.txt").status == .forbidden)
    }

    /// Even where the server may read anything (root), a `chmod` makes the entry stale and
    /// the next request takes the walk, which is what decides 403.
    @Test func aChmodMakesTheEntryStale() throws {
        let handler = try handler()
        #expect(try get(handler, "/a.txt").status == .ok)
        let entry = handler.cache[OpenFileCache.Key(path: "a.txt", coding: nil)]
        let changed = status(of: "a.txt").st_ctim
        while status(of: "a.txt").st_ctim.tv_nsec == changed.tv_nsec, status(of: "a.txt").st_ctim.tv_sec == changed.tv_sec {
            #expect(chmod(root + "/a.txt", 0) == 0)
            #expect(chmod(root + "/a.txt", 0o644) == 0)
            usleep(1_000)  // timestamps come from a coarse clock
        }
        #expect(try get(handler, "/a.txt").status == .ok)
        #expect(handler.cache[OpenFileCache.Key(path: "a.txt", coding: nil)] !== entry)
        expectCachedCurrent(handler, "a.txt")
    }

    /// The cached name `d/f.txt` now leads, through a symlink, to another file of the same
    /// size and `mtime`: `deny` must refuse it, and `inside_root` too as it leaves the root.
    /// A cache that checked the name with `stat` and compared size and `mtime` would serve
    /// the old bytes; one that reopened the name as it stands would serve the new file.
    @Test(arguments: [SymlinkPolicy.deny, .insideRoot])
    func aDirectorySwappedForASymlinkIsRefused(_ policy: SymlinkPolicy) throws {
        let handler = try handler(policy)
        #expect(try get(handler, "/d/f.txt").text == "inside")
        let modified = status(of: "d/f.txt").st_mtim
        try outside.setModified("other/f.txt", seconds: modified.tv_sec, nanoseconds: modified.tv_nsec)
        #expect(rename(root + "/d", outside.path + "/moved") == 0)
        try outside.symlink("site/d", to: "../other")
        #expect(try get(handler, "/d/f.txt").status == .notFound)
        #expect(try get(handler, "/d/f.txt").status == .notFound, "nothing was cached for the link")
    }

    @Test func aSymlinkedFileUnderFollowIsCachedAsItsTarget() throws {
        try outside.symlink("site/link.txt", to: "a.txt")
        let handler = try handler(.follow)
        #expect(try get(handler, "/link.txt").text == "first")
        expectCachedCurrent(handler, "link.txt")
        #expect(unlink(root + "/link.txt") == 0)
        try outside.symlink("site/link.txt", to: "d/f.txt")
        #expect(try get(handler, "/link.txt").text == "inside", "the link's new target")
    }

    @Test func aSiblingThatAppearsOrGoesIsSeen() throws {
        let handler = try handler(precompressed: [.gzip])
        let gzip = [("Accept-Encoding", "gzip")]
        #expect(try get(handler, "/a.txt", headers: gzip).header("Content-Encoding") == nil)
        try outside.file("site/a.txt.gz", "zipped")
        let zipped = try get(handler, "/a.txt", headers: gzip)
        #expect(zipped.text == "zipped")
        #expect(zipped.header("Content-Encoding") == "gzip")
        #expect(zipped.header("Content-Type") == "text/plain; charset=utf-8")
        try outside.overwriteInPlace("site/a.txt.gz", "ZIPPED")
        #expect(try get(handler, "/a.txt", headers: gzip).text == "ZIPPED")
        #expect(unlink(root + "/a.txt.gz") == 0)
        let plain = try get(handler, "/a.txt", headers: gzip)
        #expect(plain.text == "first")
        #expect(plain.header("Content-Encoding") == nil)
        #expect(try get(handler, "/a.txt.gz").status == .notFound)
    }

    @Test func aLargeFileWithACachedSiblingIsServedFromEither() throws {
        let handler = try handler(precompressed: [.gzip])
        try outside.file("site/large.bin.gz", "small zipped")
        for _ in 0..<2 {
            #expect(try get(handler, "/large.bin", headers: [("Accept-Encoding", "gzip")]).text == "small zipped")
            let whole = try get(handler, "/large.bin")
            #expect(whole.body == large && whole.partIsFile == [true])
        }
    }

    @Test func anIndexFileEditedInPlaceIsServedAnew() throws {
        let handler = try handler()
        #expect(try get(handler, "/docs/").text == "index")
        expectCachedCurrent(handler, "docs/index.html")
        try outside.overwriteInPlace("site/docs/index.html", "INDEX")
        #expect(try get(handler, "/docs/").text == "INDEX")
        #expect(unlink(root + "/docs/index.html") == 0)
        #expect(try get(handler, "/docs/").status == .notFound)
    }

    @Test func theFallbackIsCachedAndCheckedLikeAnyFile() throws {
        let handler = try StaticFileHandler(root: root, fallback: StaticFallback(path: "/a.txt"))
        #expect(try get(handler, "/app/route").text == "first")
        expectCachedCurrent(handler, "a.txt")
        try outside.overwriteInPlace("site/a.txt", "again")
        #expect(try get(handler, "/app/route").text == "again")
        expectCachedCurrent(handler, "a.txt")
    }

    /// The first index is answered from its entry without opening the directory; a later
    /// one only after the walk found the earlier ones missing, so one that appears wins.
    @Test func anEarlierIndexThatAppearsIsServed() throws {
        let handler = try StaticFileHandler(root: root, index: ["first.html", "index.html"])
        #expect(try get(handler, "/docs/").text == "index")
        #expect(try get(handler, "/docs/").text == "index")
        try outside.file("site/docs/first.html", "first")
        #expect(try get(handler, "/docs/").text == "first")
        let entry = handler.cache[OpenFileCache.Key(path: "docs/first.html")]
        #expect(try get(handler, "/docs/").text == "first")
        #expect(handler.cache[OpenFileCache.Key(path: "docs/first.html")] === entry)
        #expect(try get(handler, "/docs").status == .movedPermanently, "no slash: still redirected")
        #expect(unlink(root + "/docs/first.html") == 0)
        #expect(try get(handler, "/docs/").text == "index")
    }
}
