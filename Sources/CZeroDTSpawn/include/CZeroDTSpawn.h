#ifndef CZERODT_SPAWN_H
#define CZERODT_SPAWN_H

#include <sys/types.h>

/// Starts `path` as a new process with an exact file descriptor layout, for handing
/// listening sockets to a successor.
///
/// The child gets fds 0-2 as the caller has them, `fds[i]` as fd `3 + i`, and nothing else:
/// every other fd is closed at exec (NIO opens its sockets without O_CLOEXEC, so a naive
/// spawn leaks every client connection into the child). Its signal mask is emptied and
/// every signal disposition reset to the default (but SIGUSR1, ignored until the new process
/// traps it, since it is sent to every generation to reopen logs), since a process spawned from a Swift or
/// Dispatch thread would otherwise inherit a mask blocking almost everything.
///
/// When `listen_pid_slot` is not -1, `envp[listen_pid_slot]` must be a writable string
/// "LISTEN_PID=" followed by at least 20 spare characters; the child writes its own pid
/// there before exec, as systemd's socket activation protocol requires.
///
/// When `new_process_group` is non-zero the child leads a process group of its own, so that
/// a terminal's Ctrl-C (sent to the foreground group) reaches only the caller.
///
/// When `nice_value` is not ZERODT_SPAWN_SAME_NICE the child tries to take that nice value
/// before exec (it keeps the caller's when it may not: raising priority needs CAP_SYS_NICE
/// or RLIMIT_NICE), so that its whole start, the dynamic loader's included, runs at it.
///
/// Returns 0 and stores the child's pid in `*pid`, or returns an errno: from clone, or the
/// child's errno when exec failed (the child is then reaped).
int zerodt_spawn(const char *path, char *const argv[], char *const envp[],
                 const int *fds, int count, int listen_pid_slot, int new_process_group, int nice_value,
                 pid_t *pid);

/// `zerodt_spawn`'s `nice_value` for a child that keeps the caller's (outside -20...19).
#define ZERODT_SPAWN_SAME_NICE 100

/// Makes orphaned descendants of the caller its children rather than init's
/// (PR_SET_CHILD_SUBREAPER). Returns 0 or an errno.
int zerodt_become_subreaper(void);

/// The most fds one message carries (the kernel's SCM_MAX_FD is 253).
#define ZERODT_MAX_PASSED_FDS 200

/// Sends `length` bytes and `count` fds (at most ZERODT_MAX_PASSED_FDS) as one message on a
/// unix socket, without blocking or raising SIGPIPE. Returns what sendmsg returns.
ssize_t zerodt_send_with_fds(int socket, const void *bytes, size_t length, const int *fds, int count);

/// Receives one message into `bytes` and the fds it carries into `fds` (room for
/// ZERODT_MAX_PASSED_FDS), marked close-on-exec; `*truncated` is set when the message or its
/// fds did not fit. Blocks. Returns what recvmsg returns: 0 at end of file.
ssize_t zerodt_receive_with_fds(int socket, void *bytes, size_t capacity, int *fds, int *count, int *truncated);

#endif
