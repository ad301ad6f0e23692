import Foundation

/// A Kubernetes ConfigMap volume as the kubelet writes it, for the watch tests: each file is
/// a link `NAME -> ..data/NAME`, `..data` a link to a timestamped directory. An update writes
/// a new directory, points `..data_tmp` at it, renames that over `..data` and removes the old
/// directory.
public struct ConfigMapVolume {
    /// Why the swap could not be made.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The volume's directory.
    public let path: String
    private var current: String?
    private var version = 0

    /// A volume at `path` (created if missing) holding `files` (name to text).
    public init(path: String, files: [String: String]) throws {
        self.path = path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try update(files)
    }

    /// Replaces every file at once, as the kubelet does.
    public mutating func update(_ files: [String: String]) throws {
        version += 1
        let directory = "..2026_11_30_10_00_0\(version).123456789"
        let manager = FileManager.default
        try manager.createDirectory(atPath: "\(path)/\(directory)", withIntermediateDirectories: false)
        for (name, text) in files {
            try text.write(toFile: "\(path)/\(directory)/\(name)", atomically: false, encoding: .utf8)
        }
        try manager.createSymbolicLink(atPath: "\(path)/..data_tmp", withDestinationPath: directory)
        guard rename("\(path)/..data_tmp", "\(path)/..data") == 0 else {
            throw Failure(description: "rename ..data_tmp: \(String(cString: strerror(errno)))")
        }
        for name in files.keys where !manager.fileExists(atPath: "\(path)/\(name)") {
            try manager.createSymbolicLink(atPath: "\(path)/\(name)", withDestinationPath: "..data/\(name)")
        }
        if let current { try manager.removeItem(atPath: "\(path)/\(current)") }
        current = directory
    }
}
