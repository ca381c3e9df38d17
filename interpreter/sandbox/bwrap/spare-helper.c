/*
 * flow's spare helper: starts the bwrap sandboxes made ahead of sessions
 * (spares, ./spare-sandboxes.ts), and mounts a session's work tree at
 * /flow/work in the one it takes. One runs per flow process, as its child,
 * for its whole life; it takes requests on stdin and answers each, in
 * order, with a line on stdout:
 *
 *   start TOKEN NPROCS NARGS\n, then 1 + NPROCS + NARGS strings, each
 *   ending in \0: SOCKET, the cgroup.procs files to join, then bwrap's
 *   arguments
 *       -> "started PID\n" (bwrap's), or "error TEXT\n"
 *   attach PID ACCESS\n, then the tree's path ending in \0 (ACCESS: read
 *   or write)
 *       -> "ok\n", or "error TEXT\n"
 *
 * start: what a session's launcher does (session-agent.ts), from a fork of
 * this small process rather than of node (~4 ms of node's main thread,
 * and a shell, per sandbox on a loaded host). The child joins the cgroup,
 * connects to SOCKET (flow's, in a directory only it may enter), says
 * TOKEN and its pid there, and becomes bwrap with that connection as its
 * stdin and stdout (the agent's channel), the agent at fd 3 (this
 * process's fd 3, given by flow) and the arguments in a memfd at fd 4
 * (`bwrap --args 4`). It dies with this process (a parent-death signal,
 * set before it checks its parent), as bwrap with it (--die-with-parent),
 * and this one with flow: a flow killed at any instant leaves no sandbox
 * running.
 *
 * attach: BWRAP-PID's one child is the sandbox's init (flow's agent, bwrap
 * --as-pid-1), in the sandbox's mount namespace. The tree is cloned as a
 * detached mount (open_tree), made nosuid and nodev as bwrap's --bind makes
 * it, read-only without `write`, and a slave of the host's mount (bwrap
 * makes the whole sandbox a slave: mounts the host makes later reach it,
 * none it could make reach the host); then this process enters the
 * sandbox's mount namespace, moves the mount onto the sandbox's /flow/work
 * (an empty tmpfs until then, what a session without `fs.read` keeps),
 * and comes back. The sandbox's own processes have no capabilities: they
 * cannot do any of this themselves. BWRAP-PID must be a bwrap this process
 * started and has not reaped: its children are reaped here, between
 * requests, not by the kernel at once, so a bwrap that ended keeps its pid
 * (a zombie, with no child) until this process has struck it off, and no
 * other process can have it while it is on the list. The init is found
 * through /proc/BWRAP-PID, held open by descriptor: a mount namespace
 * equal to this process's (the host's) is refused, so a tree can never
 * land on the host's own /flow/work, and so is a pid reused after the init
 * ended (its parent differs).
 *
 * A request it cannot read (an unknown one, counts out of range, an
 * unknown access) ends it: flow writes none, and what follows one could
 * not be told apart from the next request. flow sees it end, and makes
 * sandboxes without it.
 *
 * At start it answers "ready\n", or "unsupported TEXT\n" and exits where
 * the kernel lacks open_tree, move_mount or mount_setattr (before 5.12)
 * or flow does not run as root: the driver then makes no sandboxes ahead.
 * It ends with its stdin, and with flow; the sandboxes it started end
 * with it (bwrap's parent is this process).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MS_SLAVE
#define MS_SLAVE (1 << 19)
#endif

static int host_ns = -1;
static struct stat host_ns_stat;

/* The bwraps started and not reaped yet: the only pids `attach` acts on. */
#define MAX_STARTED 4096
static pid_t started[MAX_STARTED];
static int nstarted = 0;

static int is_started(long pid) {
  for (int i = 0; i < nstarted; i++)
    if (started[i] == pid) return 1;
  return 0;
}

/* Reaps the children that ended, striking each off the list (its pid is free for reuse once reaped). */
static void reap(void) {
  for (;;) {
    pid_t pid = waitpid(-1, NULL, WNOHANG);
    if (pid <= 0) return;
    for (int i = 0; i < nstarted; i++) {
      if (started[i] != pid) continue;
      started[i] = started[--nstarted];
      break;
    }
  }
}

static void answer(const char *format, const char *text) {
  char line[512];
  int length = snprintf(line, sizeof line, format, text);
  if (length < 0) return;
  if ((size_t)length >= sizeof line) length = sizeof line - 1;
  if (write(1, line, (size_t)length) < 0) _exit(1);
}

/* The failed call's text after WHAT, or WHAT alone where errno is 0 (the request itself was refused). */
static void answer_error(const char *what) {
  char text[256];
  if (errno != 0) snprintf(text, sizeof text, "%s: %s", what, strerror(errno));
  else snprintf(text, sizeof text, "%s", what);
  answer("error %s\n", text);
}

/* Reads a whole small file under DIR (a /proc/PID descriptor, or AT_FDCWD) into BUFFER. */
static int read_at(int dir, const char *name, char *buffer, size_t size) {
  int fd = openat(dir, name, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buffer, size - 1);
  close(fd);
  if (n < 0) return -1;
  buffer[n] = 0;
  return 0;
}

/* The parent pid in /proc/PID/stat: the field after the command's closing parenthesis and the state. */
static long parent_of(int proc_dir) {
  char stat[1024];
  if (read_at(proc_dir, "stat", stat, sizeof stat) != 0) return -1;
  char *end = strrchr(stat, ')');
  if (end == NULL) return -1;
  char state;
  long parent;
  if (sscanf(end + 1, " %c %ld", &state, &parent) != 2) return -1;
  return parent;
}

/* Attaches TREE in the sandbox of bwrap BWRAP; NULL on success, else why not (errno set, or 0). */
static const char *attach(long bwrap, int writable, const char *tree) {
  if (!is_started(bwrap)) {
    errno = 0;
    return "not a sandbox this helper started";
  }
  char path[64];
  snprintf(path, sizeof path, "/proc/%ld/task/%ld/children", bwrap, bwrap);
  char children[256];
  if (read_at(AT_FDCWD, path, children, sizeof children) != 0) return "the sandbox's bwrap is gone";
  char *rest;
  long init = strtol(children, &rest, 10);
  while (*rest == ' ' || *rest == '\n') rest++;
  if (init <= 0 || *rest != 0) {
    errno = 0;
    return "the sandbox's bwrap has not one child";
  }

  snprintf(path, sizeof path, "/proc/%ld", init);
  int proc_dir = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (proc_dir < 0) return "the sandbox's init is gone";
  const char *failure = NULL;
  struct stat ns_stat;
  int ns = openat(proc_dir, "ns/mnt", O_RDONLY | O_CLOEXEC);
  int target = -1;
  if (ns < 0 || fstat(ns, &ns_stat) != 0) failure = "cannot open the sandbox's mount namespace";
  else if (ns_stat.st_ino == host_ns_stat.st_ino && ns_stat.st_dev == host_ns_stat.st_dev) {
    errno = 0;
    failure = "the sandbox shares the host's mount namespace";
  } else if ((target = openat(proc_dir, "root/flow/work", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) failure = "the sandbox has no /flow/work";
  /* Checked after the opens: the descriptors are then the init's, or the init had already gone and its pid was not bwrap's child. */
  if (failure == NULL && parent_of(proc_dir) != bwrap) {
    errno = 0;
    failure = "the sandbox's init is gone";
  }
  close(proc_dir);

  int mount = -1;
  if (failure == NULL) {
    mount = (int)syscall(SYS_open_tree, AT_FDCWD, tree, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
    if (mount < 0) failure = "cannot clone the tree's mount";
  }
  if (failure == NULL) {
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (writable ? 0 : MOUNT_ATTR_RDONLY), .propagation = MS_SLAVE};
    if (syscall(SYS_mount_setattr, mount, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) != 0) failure = "cannot set the tree's mount options";
  }
  if (failure == NULL) {
    if (setns(ns, CLONE_NEWNS) != 0) failure = "cannot enter the sandbox's mount namespace";
    else {
      if (syscall(SYS_move_mount, mount, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0) failure = "cannot mount the tree in the sandbox";
      /* Back on the host whatever happened: every later request starts from there. */
      int saved = errno;
      if (setns(host_ns, CLONE_NEWNS) != 0) _exit(1);
      errno = saved;
    }
  }
  if (mount >= 0) close(mount);
  if (ns >= 0) close(ns);
  if (target >= 0) close(target);
  return failure;
}

/* In the child of `start`: never returns. Exit status 125 where it could not become bwrap. */
static void become_bwrap(pid_t helper, const char *token, const char *socket_path, char **procs, int nprocs, char **args, int nargs) {
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (getppid() != helper) _exit(125);
  setpgid(0, 0);
  signal(SIGCHLD, SIG_DFL);
  signal(SIGPIPE, SIG_DFL);

  /* The arguments in a memfd: bwrap reads them whole, whatever their length, with no writer to wait for. */
  int memfd = (int)syscall(SYS_memfd_create, "flow-bwrap-args", 0);
  if (memfd < 0) _exit(125);
  for (int i = 0; i < nargs; i++)
    if (write(memfd, args[i], strlen(args[i]) + 1) < 0) _exit(125);
  if (lseek(memfd, 0, SEEK_SET) != 0) _exit(125);

  int sock = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un address = {.sun_family = AF_UNIX};
  if (sock < 0 || strlen(socket_path) >= sizeof address.sun_path) _exit(125);
  strcpy(address.sun_path, socket_path);
  if (connect(sock, (struct sockaddr *)&address, sizeof address) != 0) _exit(125);
  char hello[128];
  int length = snprintf(hello, sizeof hello, "%s %d\n", token, (int)getpid());
  if (write(sock, hello, (size_t)length) != length) _exit(125);

  /* The group is joined before bwrap starts, so everything the sandbox starts is counted (and the wait it costs on cgroup v1 is this child's). */
  for (int i = 0; i < nprocs; i++) {
    int fd = open(procs[i], O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, "0", 1) != 1) _exit(125);
    close(fd);
  }

  int null = open("/dev/null", O_RDWR);
  /* fds 3 (the agent) and the rest are placed above 4 first, so that no dup2 below overwrites one still to be placed. */
  int high_sock = fcntl(sock, F_DUPFD, 10), high_args = fcntl(memfd, F_DUPFD, 10), high_null = fcntl(null, F_DUPFD, 10);
  if (high_sock < 0 || high_args < 0 || high_null < 0) _exit(125);
  if (dup2(high_sock, 0) < 0 || dup2(high_sock, 1) < 0 || dup2(high_null, 2) < 0 || dup2(high_args, 4) < 0) _exit(125);
  if (syscall(SYS_close_range, 5, ~0U, 0) != 0)
    for (int fd = 5; fd < 1024; fd++) close(fd);
  char *argv[] = {"bwrap", "--unshare-all", "--args", "4", "/proc/self/fd/3", "--sandbox", NULL};
  char *env[] = {"PATH=/usr/local/bin:/usr/bin:/bin", NULL};
  execvpe("bwrap", argv, env);
  _exit(125);
}

/* Whether the kernel has the new mount API: ENOSYS for a syscall it lacks, another error (a bad descriptor) for one it has. */
static int has_syscall(long number) {
  return syscall(number, -1, "", 0, 0, 0) == 0 || errno != ENOSYS;
}

/* Requests: a header line, then NUL-terminated strings. */
static char input[1 << 20];
static size_t length = 0;

/* Where the NUL-terminated string at AT ends, or -1 if the input does not hold it whole yet. */
static long string_end(size_t at) {
  char *end = memchr(input + at, 0, length - at);
  return end == NULL ? -1 : end - input;
}

/* Handles the request at the start of the input, if it is whole: the bytes it took, or 0. */
static size_t handle(void) {
  char *newline = memchr(input, '\n', length);
  if (newline == NULL) return 0;
  size_t at = (size_t)(newline - input) + 1;
  char token[80], access[16];
  int nprocs = 0, nargs = 0;
  long pid = 0;
  *newline = 0;
  if (strncmp(input, "start ", 6) == 0) {
    /* At most four digits each: no count can overflow. */
    if (sscanf(input, "start %79s %4d %4d", token, &nprocs, &nargs) != 3 || nprocs < 0 || nargs < 0 || nprocs + nargs >= 4096) exit(1);
    char **strings = calloc((size_t)(1 + nprocs + nargs), sizeof *strings);
    if (strings == NULL) exit(1);
    for (int i = 0; i < 1 + nprocs + nargs; i++) {
      long end = string_end(at);
      if (end < 0) {
        free(strings);
        *newline = '\n';
        return 0;
      }
      strings[i] = input + at;
      at = (size_t)end + 1;
    }
    if (nstarted == MAX_STARTED) {
      free(strings);
      errno = 0;
      answer_error("too many sandboxes running");
      return at;
    }
    pid_t self = getpid();
    pid_t child = fork();
    if (child == 0) become_bwrap(self, token, strings[0], strings + 1, nprocs, strings + 1 + nprocs, nargs);
    free(strings);
    if (child < 0) answer_error("cannot fork");
    else {
      started[nstarted++] = child;
      char line[32];
      snprintf(line, sizeof line, "%d", (int)child);
      answer("started %s\n", line);
    }
    return at;
  }
  if (strncmp(input, "attach ", 7) == 0) {
    if (sscanf(input, "attach %9ld %15s", &pid, access) != 2) exit(1);
    long end = string_end(at);
    if (end < 0) {
      *newline = '\n';
      return 0;
    }
    const char *tree = input + at;
    int writable = strcmp(access, "write") == 0;
    if (!writable && strcmp(access, "read") != 0) exit(1);
    errno = 0;
    reap();
    const char *failure = attach(pid, writable, tree);
    if (failure == NULL) answer("%s", "ok\n");
    else answer_error(failure);
    return (size_t)end + 1;
  }
  exit(1);
}

int main(void) {
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (getppid() == 1) return 1;
  /* Children are reaped here (reap), not by the kernel as they end: a bwrap's pid stays its own until struck off. */
  signal(SIGPIPE, SIG_IGN);
  /* Entering a sandbox's mount namespace takes CAP_SYS_ADMIN over it, which only root has (bwrap gives a user of its own their own user namespace). */
  if (geteuid() != 0) {
    answer("unsupported %s\n", "flow does not run as root");
    return 0;
  }
  if (!has_syscall(SYS_open_tree) || !has_syscall(SYS_move_mount) || !has_syscall(SYS_mount_setattr)) {
    answer("unsupported %s\n", "the kernel has no open_tree, move_mount or mount_setattr (Linux 5.12)");
    return 0;
  }
  host_ns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
  if (host_ns < 0 || fstat(host_ns, &host_ns_stat) != 0) {
    answer("unsupported %s\n", "cannot open its own mount namespace");
    return 0;
  }
  answer("%s", "ready\n");

  for (;;) {
    if (length == sizeof input) return 1;
    ssize_t n = read(0, input + length, sizeof input - length);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 0;
    length += (size_t)n;
    reap();
    for (size_t used = handle(); used > 0; used = handle()) {
      memmove(input, input + used, length - used);
      length -= used;
    }
  }
}
