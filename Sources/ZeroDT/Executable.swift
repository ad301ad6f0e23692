#if canImport(Glibc)
import Glibc
#endif

/// Which file a successor runs: the path this binary was started by, made absolute at
/// start-up but with symlinks left alone (DESIGN §5). A binary replaced by rename and a
/// `current -> release-N` symlink switched to a new release are then both picked up.
enum Executable {
    /// Resolves `argv0` against `workingDirectory` or `searchPath` (a `PATH` value).
    /// - Returns: an absolute path, or nil when nothing executable matches.
    static func resolve(argv0: String, workingDirectory: String, searchPath: String?) -> String? {
        if argv0.hasPrefix("/") { return argv0 }
        if argv0.contains("/") {
            return normalize(workingDirectory + "/" + argv0)
        }
        for directory in (searchPath ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let base = directory.hasPrefix("/") ? String(directory) : workingDirectory + "/" + directory
            let candidate = normalize(base + "/" + argv0)
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// This process's executable: from argv[0], else `/proc/self/exe` (which names the old
    /// inode once the file is replaced, hence only a fallback).
    static func current() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let workingDirectory = getcwd(&buffer, buffer.count) != nil
            ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "/"
        let argv0 = CommandLine.arguments.first ?? ""
        let searchPath = getenv("PATH").map { String(cString: $0) }
        if let path = resolve(argv0: argv0, workingDirectory: workingDirectory, searchPath: searchPath) {
            return path
        }
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        return count > 0 ? String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) : argv0
    }

    /// Drops `.` segments and repeated slashes. `..` stays: folding it lexically would
    /// disagree with the kernel when the segment before it is a symlink.
    static func normalize(_ path: String) -> String {
        "/" + path.split(separator: "/").filter { $0 != "." }.joined(separator: "/")
    }
}
