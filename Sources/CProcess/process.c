#define _GNU_SOURCE
#include "ks_process.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

pid_t ks_spawn(const char *path, char *const argv[], char *const envp[], int stdin_fd, int stdout_fd, int stderr_fd,
               uint64_t memory_limit) {
    // A pipe that closes on exec tells the parent whether exec worked (and errno if not).
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) return -1;
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid < 0) {
        close(report[0]);
        close(report[1]);
        return -1;
    }
    if (pid == 0) {
        // Only async-signal-safe calls from here to exec.
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        // Through the system call itself: glibc's sigaction refuses the two real-time signals it reserves.
        struct { void (*handler)(int); unsigned long flags; void (*restorer)(void); uint64_t mask; } reset = {SIG_DFL, 0, NULL, 0};
        for (int signal_number = 1; signal_number <= 64; ++signal_number) {
            if (signal_number != SIGKILL && signal_number != SIGSTOP) syscall(SYS_rt_sigaction, signal_number, &reset, NULL, 8);
        }
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(127);  // the parent died before the line above
        if (memory_limit > 0) {
            struct rlimit limit = {(rlim_t)memory_limit, (rlim_t)memory_limit};
            setrlimit(RLIMIT_AS, &limit);
        }
        if (dup2(stdin_fd, 0) < 0 || dup2(stdout_fd, 1) < 0 || dup2(stderr_fd, 2) < 0) {
            int error = errno;
            (void)!write(report[1], &error, sizeof error);
            _exit(127);
        }
        // Close everything else but the report pipe (which closes itself on exec).
        for (int fd = 3; fd < 1024; ++fd) {
            if (fd != report[1]) close(fd);
        }
        execve(path, argv, envp);
        int error = errno;
        (void)!write(report[1], &error, sizeof error);
        _exit(127);
    }
    close(report[1]);
    int error = 0;
    ssize_t got;
    do {
        got = read(report[0], &error, sizeof error);
    } while (got < 0 && errno == EINTR);
    close(report[0]);
    if (got == (ssize_t)sizeof error) {
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        errno = error;
        return -1;
    }
    return pid;
}

int ks_wait_readable(int first, int second, int timeout_ms, int ready[2]) {
    struct pollfd fds[2];
    int count = 0;
    int index_of[2] = {-1, -1};
    if (first >= 0) { fds[count].fd = first; fds[count].events = POLLIN; index_of[0] = count++; }
    if (second >= 0) { fds[count].fd = second; fds[count].events = POLLIN; index_of[1] = count++; }
    ready[0] = ready[1] = 0;
    int result;
    do {
        result = poll(fds, (nfds_t)count, timeout_ms);
    } while (result < 0 && errno == EINTR);
    if (result <= 0) return result;
    for (int i = 0; i < 2; ++i) {
        if (index_of[i] >= 0 && (fds[index_of[i]].revents & (POLLIN | POLLHUP | POLLERR))) ready[i] = 1;
    }
    return 1;
}

int ks_pipe(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

void ks_block_sigpipe_in_thread(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}
