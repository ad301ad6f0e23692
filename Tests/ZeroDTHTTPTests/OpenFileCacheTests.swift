import Foundation
import NIOCore
import Testing

@testable import ZeroDTHTTP

/// The cache's own bookkeeping: keys, replacement and its bounds. How the handler checks
/// entries against the files is in `StaticFileCacheTests`.
@Suite struct OpenFileCacheTests {
    let tree: TemporaryTree

    init() throws {
        tree = try TemporaryTree()
    }

    /// An entry for a file of `size` bytes, made as the handler makes them.
    func entry(_ size: Int, name: String = "f.txt") throws -> CachedFile {
        let path = try tree.file(name, [UInt8](repeating: 7, count: size))
        let file = try OpenFile(descriptor: open(path, O_RDONLY | O_CLOEXEC))
        return try CachedFile(file, name: name[...], coding: nil, cacheControl: nil, varies: false)
    }

    func key(_ path: String, _ coding: ContentCoding? = nil) -> OpenFileCache.Key {
        OpenFileCache.Key(path: path[...], coding: coding)
    }

    @Test func keysByNameAndCoding() throws {
        let cache = OpenFileCache(maximumBytes: 1000, maximumEntries: 10)
        let plain = try entry(10)
        let gzip = try entry(5, name: "f.txt.gz")
        cache.store(plain, for: key("f.txt"))
        cache.store(gzip, for: key("f.txt", .gzip))
        #expect(cache[key("f.txt")] === plain)
        #expect(cache[key("f.txt", .gzip)] === gzip)
        #expect(cache[key("f.txt", .br)] == nil)
        #expect(cache[key("g.txt")] == nil)
        #expect(cache.usage == (1, 15), "one name")
        let variants = cache["f.txt"]
        #expect(variants[nil] === plain && variants[.gzip] === gzip && variants[.zstd] == nil)
    }

    /// Two spellings of one character are two names on disk, and two entries here.
    @Test func namesAreKeyedByTheirBytes() throws {
        let composed = key("caf\u{E9}.txt")
        let decomposed = key("cafe\u{301}.txt")
        #expect(composed.path == decomposed.path, "equal as Strings")
        let cache = OpenFileCache(maximumBytes: 1024, maximumEntries: 4)
        let first = try entry(3)
        cache.store(first, for: composed)
        #expect(cache[decomposed] == nil)
        #expect(cache[key("caf\u{E9}.txt")] === first)
        let second = try entry(4)
        cache.store(second, for: decomposed)
        #expect(cache[composed] === first && cache[decomposed] === second)
        #expect(cache.usage == (2, 7))
    }

    @Test func replacesAnEntryAndItsBytes() throws {
        let cache = OpenFileCache(maximumBytes: 1000, maximumEntries: 10)
        cache.store(try entry(10), for: key("f.txt"))
        let newer = try entry(20)
        cache.store(newer, for: key("f.txt"))
        #expect(cache[key("f.txt")] === newer)
        #expect(cache.usage == (1, 20))
    }

    @Test func evictsOldestBeyondTheEntryLimit() throws {
        let cache = OpenFileCache(maximumBytes: 1000, maximumEntries: 2)
        for name in ["a", "b", "c"] {
            cache.store(try entry(1), for: key(name))
        }
        #expect(cache[key("a")] == nil)
        #expect(cache[key("b")] != nil)
        #expect(cache[key("c")] != nil)
        #expect(cache.usage == (2, 2))
    }

    /// Second chance: an entry looked up again between insertions survives any number of
    /// names stored once each (first in, first out would evict it after four).
    @Test func anEntryInUseSurvivesAScanOfNamesUsedOnce() throws {
        let cache = OpenFileCache(maximumBytes: 1000, maximumEntries: 4)
        let hot = try entry(1, name: "hot")
        cache.store(hot, for: key("hot"))
        for index in 0..<40 {
            if index % 2 == 0 { #expect(cache[key("hot")] === hot, "after \(index) others") }
            cache.store(try entry(1, name: "n\(index)"), for: key("n\(index)"))
        }
        #expect(cache[key("hot")] === hot)
        #expect(cache[key("n39")] != nil)
        #expect(cache.usage == (4, 4))
    }

    @Test func evictsOldestBeyondTheByteLimit() throws {
        let cache = OpenFileCache(maximumBytes: 100, maximumEntries: 10)
        cache.store(try entry(40), for: key("a"))
        cache.store(try entry(40), for: key("b"))
        // Growing entry b in place must still respect the limit.
        cache.store(try entry(70), for: key("b"))
        #expect(cache[key("a")] == nil)
        #expect(cache[key("b")]?.size == 70)
        // Too large to hold at all: stored nowhere, nothing evicted for it.
        cache.store(try entry(101), for: key("c"))
        #expect(cache[key("c")] == nil)
        #expect(cache[key("b")]?.size == 70)
        #expect(cache.usage == (1, 70))
    }

    /// A name's siblings live and go with it: storing one marks the name used, and its
    /// eviction frees the bytes of all.
    @Test func aNameIsEvictedWithItsSiblings() throws {
        let cache = OpenFileCache(maximumBytes: 100, maximumEntries: 2)
        cache.store(try entry(30), for: key("a"))
        cache.store(try entry(20, name: "a.gz"), for: key("a", .gzip))
        cache.store(try entry(10), for: key("b"))
        #expect(cache.usage == (2, 60))
        cache.store(try entry(5), for: key("c"))
        #expect(cache[key("b")] == nil, "a was used since it was stored")
        #expect(cache.usage == (2, 55))
        cache.store(try entry(1), for: key("d"))
        #expect(cache[key("a")] == nil && cache[key("a", .gzip)] == nil)
        #expect(cache.usage == (2, 6))
    }

    /// A large file's entry holds a descriptor, weighed against the byte limit, which so
    /// bounds the descriptors held.
    @Test func largeFilesHoldADescriptorWeighedAgainstTheBytes() throws {
        let weight = CachedFile.descriptorWeight
        let cache = OpenFileCache(maximumBytes: 2 * weight + 10, maximumEntries: 10)
        let large = try entry(StaticFileHandler.inMemoryLimit + 1)
        #expect(large.contents == nil && !large.isCheckedByWalk)
        let copy = try #require(large.openCopy())
        var status = stat()
        #expect(fstat(copy, &status) == 0 && OpenFileCache.Identity(status) == large.identity)
        close(copy)
        cache.store(large, for: key("a"))
        cache.store(try entry(StaticFileHandler.inMemoryLimit + 2, name: "b"), for: key("b"))
        cache.store(try entry(10, name: "small"), for: key("small"))
        #expect(cache.usage == (3, 2 * weight + 10))
        cache.store(try entry(StaticFileHandler.inMemoryLimit + 3, name: "c"), for: key("c"))
        #expect(cache[key("a")] == nil, "a third descriptor evicts the oldest")
        #expect(cache.usage.bytes <= 2 * weight + 10)
    }

    /// Held descriptors are counted process-wide and given back when their entry goes.
    @Test func heldDescriptorsAreCountedUntilTheirEntryGoes() throws {
        #expect(CachedFile.heldDescriptorLimit == (ConnectionLimit.softFileLimit() ?? ConnectionLimit.defaultMaximum) / 8)
        var entries: [CachedFile] = []
        for index in 0..<3 {
            entries.append(try entry(StaticFileHandler.inMemoryLimit + 1, name: "large\(index)"))
        }
        #expect(entries.allSatisfy { !$0.isCheckedByWalk })
        // Other tests make and drop entries meanwhile: only a bound can be checked.
        #expect(CachedFile.heldDescriptorCount >= 3)
        #expect(CachedFile.heldDescriptorCount <= CachedFile.heldDescriptorLimit)
    }

    @Test func aRemovedEntryNoLongerCounts() throws {
        let cache = OpenFileCache(maximumBytes: 1000, maximumEntries: 10)
        cache.store(try entry(10), for: key("a"))
        cache.store(try entry(5, name: "a.gz"), for: key("a", .gzip))
        cache.remove(key("a", .gzip))
        #expect(cache[key("a", .gzip)] == nil && cache[key("a")] != nil)
        #expect(cache.usage == (1, 10))
        cache.remove(key("missing"))
        #expect(cache.usage == (1, 10))
    }
}
