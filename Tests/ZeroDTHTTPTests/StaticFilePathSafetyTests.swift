import Foundation
import NIOHTTP1
import Testing

@testable import ZeroDTHTTP

@Suite struct StaticFilePathSafetyTests {
    let outside: TemporaryTree
    let root: String

    /// `outside/` holds a secret and the served `site/`, so that links can leave the root
    /// both to a sibling and to a parent.
    init() throws {
        outside = try TemporaryTree()
        try outside.file("secret.txt", "outside secret")
        try outside.file("secrets/key.txt", "outside key")
        root = outside.path + "/site"
        try outside.file("site/public/page.txt", "page")
        try outside.file("site/.env", "TOKEN=1")
        try outside.file("site/.git/config", "[core]")
        try outside.file("site/.well-known/security.txt", "contact")
        try outside.file("site/a/.hidden/x.txt", "hidden below")
        try outside.file("site/dir/index.html", "dir index")
        try outside.symlink("site/link-inside.txt", to: "public/page.txt")
        try outside.symlink("site/link-dir", to: "public")
        try outside.symlink("site/link-abs-inside.txt", to: root + "/public/page.txt")
        try outside.symlink("site/link-outside.txt", to: "../secret.txt")
        try outside.symlink("site/link-outside-dir", to: outside.path + "/secrets")
        try outside.symlink("site/link-to-root", to: ".")
        try outside.symlink("site/link-hidden.txt", to: ".env")
        try outside.symlink("site/dir/index-link.html", to: "../public/page.txt")
        try outside.symlink("site/devnull", to: "/dev/null")
        try outside.fifo("site/pipe")
    }

    func handler(_ symlinks: SymlinkPolicy, hidden: Bool = false, index: [String] = ["index.html"]) throws
        -> StaticFileHandler
    {
        try StaticFileHandler(root: root, index: index, symlinks: symlinks, hidden: hidden)
    }

    func status(_ handler: StaticFileHandler, _ uri: String) throws -> HTTPResponseStatus {
        try get(handler, uri).status
    }

    @Test(arguments: SymlinkPolicy.allCases)
    func hiddenNamesAreNotFoundByDefault(_ policy: SymlinkPolicy) throws {
        let handler = try handler(policy)
        for uri in ["/.env", "/.git/config", "/.git/", "/.well-known/security.txt", "/a/.hidden/x.txt"] {
            #expect(try status(handler, uri) == .notFound, "\(uri)")
        }
    }

    @Test func hiddenNamesAreServedWhenAllowed() throws {
        let handler = try handler(.deny, hidden: true)
        #expect(try get(handler, "/.env").text == "TOKEN=1")
        #expect(try get(handler, "/a/.hidden/x.txt").text == "hidden below")
    }

    @Test func denyFollowsNoSymlinkAnywhere() throws {
        let handler = try handler(.deny)
        #expect(try get(handler, "/public/page.txt").text == "page")
        for uri in [
            "/link-inside.txt", "/link-abs-inside.txt", "/link-dir/page.txt", "/link-dir/", "/link-dir",
            "/link-outside.txt", "/link-outside-dir/key.txt", "/link-to-root/public/page.txt", "/devnull",
        ] {
            #expect(try status(handler, uri) == .notFound, "\(uri)")
        }
        // A symlinked index is skipped like a missing one.
        #expect(try status(handler, "/dir/") == .ok)
        #expect(try get(try self.handler(.deny, index: ["index-link.html"]), "/dir/").status == .notFound)
    }

    @Test func insideRootFollowsOnlyLinksThatStayInside() throws {
        let handler = try handler(.insideRoot)
        #expect(try get(handler, "/link-inside.txt").text == "page")
        #expect(try get(handler, "/link-abs-inside.txt").text == "page")
        #expect(try get(handler, "/link-dir/page.txt").text == "page")
        #expect(try get(handler, "/link-to-root/public/page.txt").text == "page")
        #expect(try status(handler, "/link-outside.txt") == .notFound)
        #expect(try status(handler, "/link-outside-dir/key.txt") == .notFound)
        #expect(try status(handler, "/link-outside-dir") == .notFound)
        #expect(try get(try self.handler(.insideRoot, index: ["index-link.html"]), "/dir/").text == "page")
    }

    @Test func insideRootChecksHiddenNamesOnTheRealPath() throws {
        #expect(try status(handler(.insideRoot), "/link-hidden.txt") == .notFound)
        #expect(try get(handler(.insideRoot, hidden: true), "/link-hidden.txt").text == "TOKEN=1")
    }

    @Test func followFollowsEverything() throws {
        let handler = try handler(.follow)
        #expect(try get(handler, "/link-outside.txt").text == "outside secret")
        #expect(try get(handler, "/link-outside-dir/key.txt").text == "outside key")
        #expect(try get(handler, "/link-inside.txt").text == "page")
    }

    @Test(arguments: SymlinkPolicy.allCases)
    func onlyRegularFilesAreServed(_ policy: SymlinkPolicy) throws {
        let handler = try handler(policy)
        let clock = ContinuousClock()
        let started = clock.now
        #expect(try status(handler, "/pipe") == .notFound)
        #expect(clock.now - started < .seconds(1))  // a FIFO without writer must not block
        #expect(try status(handler, "/devnull") == .notFound)
    }

    /// Opening a FIFO wakes a writer blocked on it, and opening a device can have effects of
    /// its own, so a special file is refused by its type before anything opens it: inotify
    /// sees every open for reading, but not the `O_PATH` handles that only look.
    @Test(arguments: SymlinkPolicy.allCases)
    func specialFilesAreRefusedWithoutBeingOpened(_ policy: SymlinkPolicy) throws {
        try outside.directory("site/fifo-index")
        try outside.fifo("site/fifo-index/index.html")
        try outside.symlink("site/link-pipe", to: "pipe")
        // /dev/null's numbers (1, 3); making a device node needs root, which CI has.
        let device = root + "/null"
        let hasDevice = mknod(device, S_IFCHR | 0o666, dev_t(1 << 8 | 3)) == 0
        let watcher = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        try #require(watcher >= 0)
        defer { close(watcher) }
        for path in [root + "/pipe", root + "/fifo-index/index.html"] + (hasDevice ? [device] : []) {
            try #require(inotify_add_watch(watcher, path, UInt32(IN_OPEN)) >= 0)
        }
        let handler = try handler(policy)
        for uri in ["/pipe", "/link-pipe", "/fifo-index/", "/null"] {
            #expect(try status(handler, uri) == .notFound, "\(uri)")
        }
        // The handler answered synchronously, so any open it made is already queued.
        var events = [UInt8](repeating: 0, count: 4096)
        let count = read(watcher, &events, events.count)
        #expect(count < 0 && errno == EAGAIN, "a special file was opened (\(count) bytes of inotify events)")
    }

    @Test(arguments: SymlinkPolicy.allCases)
    func namesThatOnlyLookLikeTraversalAreServedLiterally(_ policy: SymlinkPolicy) throws {
        try outside.file("site/..%2f", "literal percent")
        try outside.file("site/a\\..\\b", "literal backslashes")
        try outside.file("site/..foo", "dot dot foo")
        let handler = try handler(policy, hidden: true)
        #expect(try get(handler, "/..%252f", remainder: "..%2f").text == "literal percent")
        #expect(try get(handler, "/a%5C..%5Cb", remainder: "a\\..\\b").text == "literal backslashes")
        #expect(try get(handler, "/..foo").text == "dot dot foo")
    }

    @Test(arguments: SymlinkPolicy.allCases)
    func remaindersThatWouldEscapeAreRefusedAnyway(_ policy: SymlinkPolicy) throws {
        let handler = try handler(policy, hidden: true)
        let secret = outside.path + "/secret.txt"
        for remainder in [secret, "/" + secret, "../secret.txt", "public/../../secret.txt", "./public/page.txt",
                          "public/page.txt\u{0}"]
        {
            #expect(try get(handler, "/x", remainder: remainder).status == .notFound, "\(remainder)")
        }
        #expect(try get(handler, "/x", remainder: "//public//page.txt").text == "page")
    }
}
