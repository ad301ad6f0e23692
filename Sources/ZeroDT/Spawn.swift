#if canImport(Glibc)
import Glibc
#endif
import CZeroDTSpawn

/// Starting a process with an exact set of inherited fds, through the C shim.
enum Spawn {
    /// Starts `path` with `arguments` (the first is argv[0]) and `environment`; the child gets
    /// `fds[i]` as fd `3 + i` and nothing else beyond stdin, stdout and stderr.
    ///
    /// When `setListenPID` is true the child finds `LISTEN_PID` set to its own pid; with
    /// `newProcessGroup` it leads a process group of its own; with `nice` it starts at that nice
    /// value when it may (`StartupPriority`).
    /// - Returns: the child's pid.
    /// - Throws: `SystemError` from fork, or from exec in the child.
    static func start(path: String, arguments: [String], environment: [String: String], fds: [Int32],
                      setListenPID: Bool, newProcessGroup: Bool = false, nice: Int32? = nil) throws(SystemError) -> pid_t {
        var entries = environment.filter { $0.key != "LISTEN_PID" }.map { "\($0.key)=\($0.value)" }
        var listenPIDSlot: Int32 = -1
        if setListenPID {
            listenPIDSlot = Int32(entries.count)
            // The child writes its pid over the spaces: no allocation after fork.
            entries.append("LISTEN_PID=" + String(repeating: " ", count: 24))
        }
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = entries.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = fds.withUnsafeBufferPointer { fdBuffer in
            zerodt_spawn(path, argv, envp, fdBuffer.baseAddress, Int32(fds.count), listenPIDSlot, newProcessGroup ? 1 : 0,
                         nice ?? ZERODT_SPAWN_SAME_NICE, &pid)
        }
        if result != 0 { throw SystemError(call: "spawn \(path)", errno: result) }
        return pid
    }
}
