import Foundation
import Testing
import TestSupport
@testable import ZeroDT

/// `FileWatcher` polled by hand, with the instants the test chooses.
@Suite struct FileWatcherTests {
    @Test func aConfigMapUpdateIsOneChangeOfAllItsFiles() throws {
        let scratch = try ScratchDirectory(prefix: "watch")
        var volume = try ConfigMapVolume(path: scratch.path, files: ["site.yaml": "v1\n", "extra.yaml": "x1\n"])
        let site = scratch.path + "/site.yaml"
        let watcher = FileWatcher(paths: [site, scratch.path + "/extra.yaml"], interval: .milliseconds(10),
                                  settle: .milliseconds(100))
        var trackers = watcher.baselines.map { FileWatcher.Tracker(baseline: $0) }
        let start = ContinuousClock.now
        #expect(watcher.poll(&trackers, at: start) == nil)

        // Same sizes, possibly the same mtime: the inode behind the link tells them apart.
        try volume.update(["site.yaml": "v2\n", "extra.yaml": "x2\n"])
        #expect(watcher.poll(&trackers, at: start + .milliseconds(10)) == nil, "not settled yet")
        #expect(watcher.poll(&trackers, at: start + .milliseconds(200)) == site)
        #expect(watcher.poll(&trackers, at: start + .milliseconds(400)) == nil)
        #expect(watcher.poll(&trackers, at: start + .seconds(2)) == nil)

        try volume.update(["site.yaml": "v3\n", "extra.yaml": "x3\n"])
        #expect(watcher.poll(&trackers, at: start + .seconds(3)) == nil)
        #expect(watcher.poll(&trackers, at: start + .seconds(4)) == site)
        #expect(watcher.poll(&trackers, at: start + .seconds(5)) == nil)
    }

    @Test func aChangeOfOneFileIsReportedAsThatFile() throws {
        let scratch = try ScratchDirectory(prefix: "watch")
        let first = try scratch.file("a", "1\n")
        let second = try scratch.file("b", "1\n")
        let watcher = FileWatcher(paths: [first, second], interval: .milliseconds(10), settle: .milliseconds(100))
        var trackers = watcher.baselines.map { FileWatcher.Tracker(baseline: $0) }
        let start = ContinuousClock.now
        try "22\n".write(toFile: second, atomically: true, encoding: .utf8)
        #expect(watcher.poll(&trackers, at: start) == nil)
        #expect(watcher.poll(&trackers, at: start + .milliseconds(200)) == second)
        #expect(watcher.poll(&trackers, at: start + .milliseconds(400)) == nil)
    }
}
