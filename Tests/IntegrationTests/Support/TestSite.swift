import Foundation

/// A directory of its own for one test's config, sockets and pid file, and the
/// `zerodt-serve` started on it. The directory is removed when the site is released;
/// a process still running then is killed by its `RunningProcess`.
final class TestSite {
    /// Absolute and short, since a unix socket path must fit in 108 bytes.
    let directory: String
    var configFile: String { directory + "/site.yaml" }

    init() throws {
        var template = Array("/tmp/zerodt-serve-XXXXXX".utf8CString)
        guard mkdtemp(&template) != nil else {
            throw ProcessTestError(description: "mkdtemp: \(String(cString: strerror(errno)))")
        }
        directory = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// The absolute path of `name` in the directory.
    func path(_ name: String) -> String { directory + "/" + name }

    /// The lines of the file `name` in the directory that have been written whole, without
    /// their newlines. A test reads a log while the server writes it, and a read can catch a
    /// write half done: a line whose newline is not there yet is left for the next look.
    func completeLines(of name: String) -> [String] {
        let text = (try? String(contentsOfFile: path(name), encoding: .utf8)) ?? ""
        guard let end = text.lastIndex(of: "\n") else { return [] }
        return text[..<end].split(separator: "\n").map(String.init)
    }

    /// Writes `text` to `name` in the directory and returns its path.
    func write(_ name: String, _ text: String) throws -> String {
        try text.write(toFile: path(name), atomically: true, encoding: .utf8)
        return path(name)
    }

    /// Writes `config` as the site file and starts `zerodt-serve --config` on it.
    func launch(_ config: String) throws -> RunningProcess {
        try config.write(toFile: configFile, atomically: true, encoding: .utf8)
        return try ZeroDTServeBinary.start(["--config", configFile], currentDirectory: directory)
    }

    /// Like `launch`, then waits until every server in `servers` has logged that it serves.
    func serve(_ config: String, servers: [String] = ["web"], timeout: Duration = .seconds(10)) throws
        -> RunningProcess
    {
        let process = try launch(config)
        try process.waitForStandardError(toSatisfy: "log 'serving' for \(servers)", timeout: timeout) { stderr in
            let serving = stderr.split(separator: "\n").filter { $0.contains("] serving listen=") }
            return servers.allSatisfy { name in serving.contains { $0.hasSuffix(" server=\(name)") } }
        }
        return process
    }
}
