#ifndef CZERODT_SPAWN_H
#define CZERODT_SPAWN_H

#include <sys/types.h>

/// Starts `path` as a new process with an exact file descriptor layout, for handing
/// listening sockets to a successor.
///
/// The child gets fds 0-2 as the caller has them, `fds[i]` as fd `3 + i`, and nothing else:
/// every other fd is closed at exec (NIO opens its sockets without O_CLOEXEC, so a naive
/// spawn leaks every client connection into the child). Its signal mask is emptied and
/// every signal disposition reset to the default, since a process spawned from a Swift or
/// Dispatch thread would otherwise inherit a mask blocking almost everything.
///
/// When `listen_pid_slot` is not -1, `envp[listen_pid_slot]` must be a writable string
/// "LISTEN_PID=" followed by at least 20 spare characters; the child writes its own pid
/// there before exec, as systemd's socket activation protocol requires.
///
/// Returns 0 and stores the child's pid in `*pid`, or returns an errno: from fork, or the
/// child's errno when exec failed (the child is then reaped).
int zerodt_spawn(const char *path, char *const argv[], char *const envp[],
                 const int *fds, int count, int listen_pid_slot, pid_t *pid);

#endif
