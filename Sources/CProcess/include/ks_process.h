#ifndef KS_PROCESS_H
#define KS_PROCESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Starts `path` with `argv` and `envp` (NULL-terminated) as a child whose standard input, output and error
/// are the given descriptors. The child starts clean: no signal blocked, every signal at its default action,
/// its own process group, killed (SIGKILL) when the thread that started it dies (so a killed indexer never
/// leaves it running), its address space limited to `memory_limit` bytes (0: no limit), and every other
/// descriptor closed. Returns the child's pid, or -1 with errno set.
pid_t ks_spawn(const char *path, char *const argv[], char *const envp[], int stdin_fd, int stdout_fd, int stderr_fd,
               uint64_t memory_limit);

/// A pipe whose two ends close on exec: fds[0] to read, fds[1] to write. Returns 0, or -1 with errno set.
int ks_pipe(int fds[2]);

/// Blocks SIGPIPE in the calling thread only, so that writing to a child that has exited fails with EPIPE
/// instead of ending the process.
void ks_block_sigpipe_in_thread(void);

/// Waits up to `timeout_ms` for data on two descriptors (-1 for one not watched). Sets ready[0] and ready[1]
/// to 1 for each readable (or closed) one. Returns 0 on timeout, 1 when one is ready, -1 on error.
int ks_wait_readable(int first, int second, int timeout_ms, int ready[2]);

#ifdef __cplusplus
}
#endif

#endif
