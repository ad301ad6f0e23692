import Foundation
import NIOCore
import Testing

@testable import ZeroDTHTTP

@Suite struct SmallFileCacheTests {
    func identity(inode: UInt64, size: Int, modified: Int = 1) -> SmallFileCache.Identity {
        var status = stat()
        status.st_dev = 1
        status.st_ino = .init(inode)
        status.st_size = off_t(size)
        status.st_mtim = timespec(tv_sec: modified, tv_nsec: 0)
        status.st_ctim = timespec(tv_sec: modified, tv_nsec: 5)
        return SmallFileCache.Identity(status)
    }

    func buffer(_ size: Int) -> ByteBuffer {
        ByteBuffer(repeating: 7, count: size)
    }

    @Test func hitsOnlyTheSameVersion() {
        let cache = SmallFileCache(maximumBytes: 1000, maximumEntries: 10)
        cache.store(buffer(10), of: identity(inode: 1, size: 10))
        #expect(cache.contents(of: identity(inode: 1, size: 10)) == buffer(10))
        #expect(cache.contents(of: identity(inode: 1, size: 10, modified: 2)) == nil)
        #expect(cache.contents(of: identity(inode: 1, size: 11)) == nil)
        #expect(cache.contents(of: identity(inode: 2, size: 10)) == nil)
    }

    @Test func replacesAChangedVersion() {
        let cache = SmallFileCache(maximumBytes: 1000, maximumEntries: 10)
        cache.store(buffer(10), of: identity(inode: 1, size: 10))
        cache.store(buffer(20), of: identity(inode: 1, size: 20, modified: 2))
        #expect(cache.contents(of: identity(inode: 1, size: 20, modified: 2)) == buffer(20))
        #expect(cache.contents(of: identity(inode: 1, size: 10)) == nil)
    }

    @Test func evictsOldestBeyondTheEntryLimit() {
        let cache = SmallFileCache(maximumBytes: 1000, maximumEntries: 2)
        for inode in 1...3 {
            cache.store(buffer(1), of: identity(inode: UInt64(inode), size: 1))
        }
        #expect(cache.contents(of: identity(inode: 1, size: 1)) == nil)
        #expect(cache.contents(of: identity(inode: 2, size: 1)) != nil)
        #expect(cache.contents(of: identity(inode: 3, size: 1)) != nil)
    }

    @Test func evictsOldestBeyondTheByteLimit() {
        let cache = SmallFileCache(maximumBytes: 100, maximumEntries: 10)
        cache.store(buffer(40), of: identity(inode: 1, size: 40))
        cache.store(buffer(40), of: identity(inode: 2, size: 40))
        // Growing entry 2 in place must still respect the limit.
        cache.store(buffer(70), of: identity(inode: 2, size: 70, modified: 2))
        #expect(cache.contents(of: identity(inode: 1, size: 40)) == nil)
        #expect(cache.contents(of: identity(inode: 2, size: 70, modified: 2)) != nil)
        cache.store(buffer(101), of: identity(inode: 3, size: 101))
        #expect(cache.contents(of: identity(inode: 3, size: 101)) == nil)
        #expect(cache.contents(of: identity(inode: 2, size: 70, modified: 2)) != nil)
    }
}
