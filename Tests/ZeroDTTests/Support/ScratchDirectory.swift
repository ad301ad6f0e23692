import Foundation

/// A fresh directory for one test's files, removed when the test releases it.
final class ScratchDirectory {
    let path: String

    /// - Parameter prefix: names the directory after the tests using it, for a leftover's sake.
    init(prefix: String) throws {
        path = NSTemporaryDirectory() + "zerodt-\(prefix)-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `text` to `name` in the directory with `mode` and returns its path.
    func file(_ name: String, _ text: String = "keep me\n", mode: mode_t = 0o600) throws -> String {
        let file = path + "/" + name
        try text.write(toFile: file, atomically: false, encoding: .utf8)
        chmod(file, mode)
        return file
    }
}
