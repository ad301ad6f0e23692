import Foundation

/// The pid file: written to a temporary name and renamed, so a reader never sees it half
/// written.
struct PIDFile: Sendable {
    let path: String

    struct WriteError: Error, CustomStringConvertible {
        var description: String
    }

    /// Writes `pid` (this process's by default).
    func write(pid: Int32 = getpid()) throws {
        let temporary = path + ".tmp.\(getpid())"
        do {
            try "\(pid)\n".write(toFile: temporary, atomically: false, encoding: .utf8)
            guard rename(temporary, path) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        } catch {
            unlink(temporary)
            throw WriteError(description: "cannot write pid file '\(path)': \(error.localizedDescription)")
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
