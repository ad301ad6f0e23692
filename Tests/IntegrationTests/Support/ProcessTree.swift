import Foundation

/// Processes seen from /proc: who is whose child, for tests that follow generations a
/// supervisor started (their pids in a pid namespace mean nothing out here).
enum ProcessTree {
    /// The live (not zombie) children of `pid`, in pid order.
    static func children(of pid: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { parent(of: $0) == pid && isAlive($0) }.sorted()
    }

    /// Every live descendant of `pid`.
    static func descendants(of pid: Int32) -> [Int32] {
        children(of: pid).flatMap { [$0] + descendants(of: $0) }
    }

    /// The parent pid, from /proc/PID/stat (the field after the state, which follows the
    /// command name's closing parenthesis).
    static func parent(of pid: Int32) -> Int32? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 1 ? Int32(fields[1]) : nil
    }

    /// The live processes whose environment holds `entry` (`NAME=value`). A process keeps
    /// the environment it started with and passes it on, so this finds what a process
    /// started, and what those started in turn, wherever they now are in the tree: a
    /// generation whose predecessor exited belongs to pid 1, out of reach of `descendants`.
    static func carrying(_ entry: String) -> [Int32] {
        let wanted = Array(entry.utf8)
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            // Unreadable for other users' processes, and empty for a zombie.
            guard let environment = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return false }
            return environment.split(separator: 0).contains { $0.elementsEqual(wanted) } && isAlive(pid)
        }.sorted()
    }

    /// `pid`'s generation (`ZERODT_GENERATION`) and command line, to say what a process is.
    static func describe(_ pid: Int32) -> String {
        let read = { (name: String) in
            (FileManager.default.contents(atPath: "/proc/\(pid)/\(name)") ?? Data()).split(separator: 0)
                .map { String(decoding: $0, as: UTF8.self) }
        }
        let generation = read("environ").first { $0.hasPrefix("ZERODT_GENERATION=") } ?? "no ZERODT_GENERATION"
        return "pid \(pid) (\(generation), parent \(parent(of: pid).map(String.init) ?? "?")): \(read("cmdline").joined(separator: " "))"
    }

    /// The process group of `pid`.
    static func group(of pid: Int32) -> Int32 { getpgid(pid) }
}

/// A pseudo-terminal whose other end a child gets as stdin, as a shell would give it.
final class PseudoTerminal {
    let controller: FileHandle
    /// The terminal end, for the child.
    let terminal: FileHandle

    init() throws {
        // Glibc's module map hides the pty calls (they need _XOPEN_SOURCE): look them up.
        typealias Open = @convention(c) (Int32) -> Int32
        typealias Prepare = @convention(c) (Int32) -> Int32
        typealias Name = @convention(c) (Int32, UnsafeMutablePointer<CChar>?, Int) -> Int32
        func symbol<T>(_ name: String, as type: T.Type) throws -> T {
            guard let address = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else {
                throw ProcessTestError(description: "no \(name) in libc")
            }
            return unsafeBitCast(address, to: type)
        }
        let fd = try symbol("posix_openpt", as: Open.self)(O_RDWR | O_NOCTTY)
        var name = [CChar](repeating: 0, count: 128)
        guard fd >= 0, try symbol("grantpt", as: Prepare.self)(fd) == 0,
              try symbol("unlockpt", as: Prepare.self)(fd) == 0,
              try symbol("ptsname_r", as: Name.self)(fd, &name, name.count) == 0 else {
            throw ProcessTestError(description: "no pseudo-terminal: errno \(errno)")
        }
        let path = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let terminalFD = open(path, O_RDWR | O_NOCTTY)
        guard terminalFD >= 0 else { throw ProcessTestError(description: "cannot open \(path)") }
        controller = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        terminal = FileHandle(fileDescriptor: terminalFD, closeOnDealloc: true)
    }

    /// Closes the controller, as a terminal window closing does, and waits until the kernel
    /// has hung the terminal up. That takes the last copy of the controller: a process that
    /// another test is starting holds a copy of every descriptor until it runs its program,
    /// and a SIGHUP sent meanwhile finds the terminal still up (a shell's SIGHUP comes from
    /// the hang-up itself, after it).
    func hangUp(timeout: Duration = .seconds(10)) throws {
        try controller.close()
        let deadline = ContinuousClock.now + timeout
        var entry = pollfd(fd: terminal.fileDescriptor, events: 0, revents: 0)
        while entry.revents & Int16(POLLHUP) == 0 {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { throw ProcessTestError(description: "the terminal did not hang up") }
            // Only POLLHUP and POLLERR can come: no event is asked for.
            _ = poll(&entry, 1, Int32((left / .milliseconds(1)).rounded(.up)))
        }
    }
}
