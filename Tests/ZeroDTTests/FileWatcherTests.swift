import Foundation
import Testing
@testable import ZeroDT

/// `FileWatcher` polled by hand, with the instants the test chooses.
@Suite struct FileWatcherTests {
    /// A Kubernetes ConfigMap volume as the kubelet writes it: each file is a link through
    /// `..data` to a timestamped directory, and an update writes a new directory, points
    /// `..data_tmp` at it, renames that over `..data` and removes the old directory.
    struct ConfigMapVolume {
        let path: String
        private var current: String?
        private var version = 0

        init(path: String, files: [String: String]) throws {
            self.path = path
            try update(files)
        }

        mutating func update(_ files: [String: String]) throws {
            version += 1
            let directory = "..2026_11_30_10_00_0\(version).000000000"
            try FileManager.default.createDirectory(atPath: path + "/" + directory, withIntermediateDirectories: false)
            for (name, text) in files {
                try text.write(toFile: "\(path)/\(directory)/\(name)", atomically: false, encoding: .utf8)
            }
            #expect(symlink(directory, path + "/..data_tmp") == 0)
            #expect(rename(path + "/..data_tmp", path + "/..data") == 0)
            for name in files.keys where !FileManager.default.fileExists(atPath: path + "/" + name) {
                #expect(symlink("..data/" + name, path + "/" + name) == 0)
            }
            if let current { try FileManager.default.removeItem(atPath: path + "/" + current) }
            current = directory
        }
    }

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
