import Foundation
import Testing

extension OperationsTests.PIDFile {
    /// The pid file's directory may be writable by others (issue 11, item 1): a link planted
    /// there must never be followed, neither by the server writing or removing the pid file
    /// nor by the commands reading it.
    @Test func aSymlinkAtATemporaryNameIsNotWrittenThrough() throws {
        let server = try OperationsTests.start(control: false)
        let first = server.family.first.pid
        let precious = try server.site.write("precious", "not yours\n")
        // What the server used to write to: `run.pid.tmp.<pid>`, for its own pid and for the
        // pids the next processes are likely to get.
        let next = Int32((try? String(contentsOfFile: "/proc/sys/kernel/ns_last_pid", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? first
        for pid in [first] + Array((next + 1)...(next + 64)) {
            #expect(symlink(precious, server.site.path("run.pid.tmp.\(pid)")) == 0)
        }
        // A failed reload makes the first generation rewrite its pid.
        try "servers:\n  - name: web\n    listen: []\npid_file: \(server.site.path("run.pid"))\n"
            .write(toFile: server.site.configFile, atomically: true, encoding: .utf8)
        let reload = try server.command("reload")
        #expect(reload.status == 1, "\(reload)")
        try Self.expectRegularPIDFile(server, naming: first, precious: precious)

        // A successful restart: the successor writes its own pid.
        try server.writeConfig(body: "v2\n", control: false)
        let second = try server.family.restart()
        try Self.expectRegularPIDFile(server, naming: second, precious: precious)
        try server.family.stop()
    }

    @Test func aSymlinkAtThePIDFileIsRefusedByTheCommandsAndLeftAlone() throws {
        let server = try OperationsTests.start(control: false)
        // Someone else's process, whose pid a planted link would have `stop` signal.
        let bystander = try RunningProcess(executable: "/bin/sleep", arguments: ["60"])
        defer { bystander.kill() }
        let decoy = try server.site.write("decoy", "\(bystander.pid)\n")
        let pidFile = server.site.path("run.pid")
        #expect(unlink(pidFile) == 0)
        #expect(symlink(decoy, pidFile) == 0)

        for command in ["stop", "status", "reload"] {
            let output = try server.command(command)
            #expect(output.status == 1, "\(command): \(output)")
            #expect(output.standardError.contains("\(pidFile) is a symbolic link"), "\(command): \(output)")
        }
        #expect(bystander.isRunning, "the bystander was signalled through the link")
        #expect(server.family.first.isRunning)

        // Stopped directly (the family would read the pid through the link): at exit the
        // link is neither followed nor removed.
        server.family.first.send(SIGTERM)
        try server.family.waitForExit(of: server.family.first.pid)
        var info = stat()
        #expect(lstat(pidFile, &info) == 0 && info.st_mode & S_IFMT == S_IFLNK)
        #expect(try String(contentsOfFile: decoy, encoding: .utf8) == "\(bystander.pid)\n")
        #expect(bystander.isRunning)
    }

    /// The pid file is a regular file naming `pid`, and `precious` was not written.
    static func expectRegularPIDFile(_ server: OperationsTests.Server, naming pid: Int32, precious: String) throws {
        var info = stat()
        let path = server.site.path("run.pid")
        #expect(lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFREG, "the pid file must be a regular file")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "\(pid)\n")
        #expect(try String(contentsOfFile: precious, encoding: .utf8) == "not yours\n", "written through a link")
    }
}
