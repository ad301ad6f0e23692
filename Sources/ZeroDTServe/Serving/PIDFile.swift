import Foundation

/// The pid file: written to a temporary name and renamed, so a reader never sees it half
/// written.
struct PIDFile: Sendable {
    let path: String

    func write() throws {
        let temporary = path + ".tmp.\(getpid())"
        do {
            try "\(getpid())\n".write(toFile: temporary, atomically: false, encoding: .utf8)
            guard rename(temporary, path) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        } catch {
            unlink(temporary)
            throw ServeError(description: "cannot write pid file '\(path)': \(error.localizedDescription)")
        }
    }

    /// Removes the file if it still names this process.
    func remove() {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
              Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) == getpid()
        else { return }
        unlink(path)
    }
}
