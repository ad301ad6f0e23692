#include "CZeroDTSpawn.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* Only async-signal-safe calls from here on: the parent is multi-threaded. The child also
 * shares the parent's memory until it execs (CLONE_VM, see zerodt_spawn), so it writes to
 * nothing of the parent's but the LISTEN_PID slot, which the parent only frees, and the
 * calling thread's errno, which the parent reads only when the clone itself failed. */

static void write_decimal(char *out, pid_t value) {
    char digits[24];
    int n = 0;
    do {
        digits[n++] = (char)('0' + value % 10);
        value /= 10;
    } while (value > 0 && n < (int)sizeof(digits));
    for (int i = 0; i < n; i++) out[i] = digits[n - 1 - i];
    out[n] = '\0';
}

static void mark_cloexec_from(int first, long max) {
    if (syscall(SYS_close_range, (unsigned)first, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
    /* Kernels before 5.11: walk the table up to the limit the parent read before fork. */
    for (int fd = first; fd < max; fd++) {
        int flags = fcntl(fd, F_GETFD);
        if (flags >= 0) fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
    }
}

struct child_arguments {
    const char *path;
    char *const *argv;
    char *const *envp;
    const int *fds;
    int count;
    int listen_pid_slot;
    int new_process_group;
    int nice_value;
    int error_fd;
    long max_fd;
};

static int child(void *raw) {
    const struct child_arguments *arguments = raw;
    const char *path = arguments->path;
    char *const *argv = arguments->argv;
    char *const *envp = arguments->envp;
    const int *fds = arguments->fds;
    int count = arguments->count;
    int listen_pid_slot = arguments->listen_pid_slot;
    int new_process_group = arguments->new_process_group;
    int nice_value = arguments->nice_value;
    int error_fd = arguments->error_fd;
    long max_fd = arguments->max_fd;
    struct sigaction dfl;
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &dfl, NULL);
    }
    /* SIGUSR1 (reopen the logs) reaches every generation at once: one still starting must not
     * die of it. Ignored survives exec; the new process traps it once it can act on it. */
    struct sigaction ign;
    memset(&ign, 0, sizeof(ign));
    ign.sa_handler = SIG_IGN;
    sigaction(SIGUSR1, &ign, NULL);

    int high = 3 + count;
    /* Move the error pipe and every source fd above the target range first, so that no
     * dup2 below can overwrite a source that has not been placed yet. */
    error_fd = fcntl(error_fd, F_DUPFD_CLOEXEC, high);
    /* Without a way to report failure, failing silently would look like success. */
    if (error_fd < 0) _exit(127);
    int moved[count > 0 ? count : 1];
    for (int i = 0; i < count; i++) {
        moved[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, high);
        if (moved[i] < 0) goto fail;
    }
    for (int i = 0; i < count; i++) {
        if (dup2(moved[i], 3 + i) < 0) goto fail; /* dup2 clears FD_CLOEXEC on the target */
    }
    mark_cloexec_from(high, max_fd);

    if (listen_pid_slot >= 0) {
        write_decimal(envp[listen_pid_slot] + strlen("LISTEN_PID="), getpid());
    }
    if (new_process_group && setpgid(0, 0) != 0) goto fail;
    /* Not permitted is no failure: the child then starts at the caller's priority. */
    if (nice_value != ZERODT_SPAWN_SAME_NICE) (void)setpriority(PRIO_PROCESS, 0, nice_value);
    sigset_t empty;
    sigemptyset(&empty);
    sigprocmask(SIG_SETMASK, &empty, NULL);
    execve(path, argv, envp);
fail:;
    int error = errno;
    ssize_t ignored = write(error_fd, &error, sizeof(error));
    (void)ignored;
    _exit(127);
}

int zerodt_spawn(const char *path, char *const argv[], char *const envp[],
                 const int *fds, int count, int listen_pid_slot, int new_process_group, int nice_value,
                 pid_t *pid) {
    int error_pipe[2];
    if (pipe2(error_pipe, O_CLOEXEC) != 0) return errno;

    /* sysconf is not async-signal-safe, so the child's fallback limit is read here. */
    long max_fd = sysconf(_SC_OPEN_MAX);
    if (max_fd < 0 || max_fd > 1 << 20) max_fd = 1 << 20;

    /* The child shares this process's memory and runs on a stack of its own until it execs,
     * while this thread waits (CLONE_VM | CLONE_VFORK, as posix_spawn does): a fork would copy
     * the page tables of every mapping, and the child's exec would then tear the copy down,
     * which together took about 2 ms of the time from SIGHUP to a ready successor. */
    /* Below the stack, a page that faults: an overflow kills the child instead of writing
     * over the parent's memory. */
    size_t guard = (size_t)sysconf(_SC_PAGESIZE);
    size_t stack_size = guard + 64 * 1024 + (size_t)count * 2 * sizeof(int);
    void *stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED || mprotect(stack, guard, PROT_NONE) != 0) {
        int error = errno;
        if (stack != MAP_FAILED) munmap(stack, stack_size);
        close(error_pipe[0]);
        close(error_pipe[1]);
        return error;
    }
    struct child_arguments arguments = {path, argv, envp, fds, count, listen_pid_slot, new_process_group, nice_value,
                                        error_pipe[1], max_fd};
    /* Block signals across the clone so no handler of ours runs in the child before it resets them. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    /* The stack grows down on every architecture this runs on. */
    pid_t child_pid = clone(child, (char *)stack + stack_size, CLONE_VM | CLONE_VFORK | SIGCHLD, &arguments);
    int fork_error = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    munmap(stack, stack_size);
    close(error_pipe[1]);
    if (child_pid < 0) {
        close(error_pipe[0]);
        return fork_error;
    }

    int child_error = 0;
    ssize_t n;
    do {
        n = read(error_pipe[0], &child_error, sizeof(child_error));
    } while (n < 0 && errno == EINTR);
    close(error_pipe[0]);
    if (n > 0) {
        /* The child wrote before exec (an exec closes the pipe without a byte): it failed. */
        while (waitpid(child_pid, NULL, 0) < 0 && errno == EINTR) {}
        return n == (ssize_t)sizeof(child_error) && child_error != 0 ? child_error : EIO;
    }
    *pid = child_pid;
    return 0;
}

int zerodt_become_subreaper(void) {
    return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0 ? 0 : errno;
}
