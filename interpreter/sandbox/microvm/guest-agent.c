/*
 * flow's guest agent: PID 1 of a microVM after guest-init.sh has mounted
 * the kernel's file systems and loaded the virtio modules. It runs commands
 * for the host over the virtio-serial port named "agent".
 *
 * Why C and not a busybox script: a command's stdout and stderr must reach
 * the host separately, byte for byte and as they come, several commands may
 * run at once, and a timeout or an abort must kill everything a command
 * started; a shell loop can do none of that without mixing streams. It is
 * compiled statically at `flow sandbox build` (guest-image.ts).
 *
 * Frames, both ways: a header line "TYPE ID LENGTH\n", then LENGTH bytes.
 * Host to guest:
 *   p  ping                       -> R "pong"
 *   w  "SECONDS NANOSECONDS HEX SHARE"  set the clock, mix HEX (host randomness)
 *                                 into the RNG and reseed it (a clone restored
 *                                 from a snapshot has the template's RNG state
 *                                 and clock), then mount the 9p share tagged
 *                                 "work" on /work when SHARE is "ro" or "rw"
 *                                 ("-": none). One request, as it is a clone's
 *                                 first: its answer also says the clone runs -> R | F
 *   n  ""                         bind the NIC's driver and configure it for
 *                                 QEMU's user-mode network (the network
 *                                 template, before it is saved) -> R | F
 *   x  exec: NUL-terminated fields: timeout ms (0: none), pids.max (0: none),
 *      cwd, command, then NAME=VALUE each -> O/E chunks, then X
 *   k  ""                         kill job ID (the host gave up on it)
 * Guest to host:
 *   O, E  a chunk of job ID's stdout, stderr
 *   X     "EXIT OOM TIMEDOUT" for job ID, after its last chunk
 *   R, F  the reply to request ID: done (text), failed (a message)
 *
 * Each command runs as `sh -c` in a cgroup of its own: memory.max just
 * under the VM's free memory (so the OOM killer takes the command, not
 * this agent, and says so in memory.events), pids.max from the host (1
 * when the node is not granted `proc`: the shell itself and nothing it
 * would start), and cgroup.kill ends everything it started.
 *
 * Under TCG a command's cost is mostly the guest kernel's, so the agent
 * does as little per command as it can. Cgroups are not made and removed
 * per command (~6 ms each way): a finished command's cgroup, once empty,
 * serves the next one (a VM serves one session, never another node), and
 * two are made at start, before the template is saved. The shell is
 * started inside its cgroup (clone3 with CLONE_INTO_CGROUP), not moved
 * into it (~12 ms more, and a kill could miss a child not yet moved).
 *
 * The same agent runs in a bwrap sandbox (`flow-agent --sandbox [FILTER]`,
 * bwrap/session-agent.ts): the frames go over stdin and stdout, the host's
 * cgroup holds the whole sandbox (so no cgroup here, and no OOM count: the
 * host reads its own), each command is forked from this agent in a process
 * group of its own, under FILTER (hex of a classic-BPF seccomp program, the
 * host's) when one is given, loaded in the child after fork and before
 * exec, so that the agent may fork and the command may not. When a
 * command's shell ends, its group ends, and once no command runs, so does
 * every other process of the sandbox (a daemon that left its group): as
 * when each command had a sandbox of its own. The agent is the
 * sandbox's pid 1 (bwrap --as-pid-1): the commands cannot signal it, and it
 * reaps what they orphan. It cannot be traced or read by them either (it
 * is not dumpable, and they have no capabilities), so the pipes to the host
 * are its own. Should it end anyway (the OOM killer), the sandbox ends,
 * and the host makes a new one for the next command. The host closing
 * stdin ends it. Since it kills what it finds in /proc, `--sandbox` is
 * refused anywhere but as pid 1 of a pid namespace of its own, with that
 * namespace's /proc: run on the host it would kill every process it may.
 *
 * Under TCG a process's life is what a command costs: `sh` started by
 * fork and exec ~8-10 ms, and its exit and reaping ~2-3 ms more, against
 * ~2 ms for a busybox shell to fork itself. So a command that may start
 * processes (pids.max not 1) runs in a subshell of the session shell: one
 * `sh` started once (it is in the template), in a cgroup of its own, that
 * forks a subshell and waits for it. Both read lines from fd 3: the shell
 * one to fork the next subshell, the subshell one to run its command,
 * when it sources the command's script (the agent's memfd `script`, through
 * /proc: it exports the command's variables, changes to its directory and
 * evals the command). The shell writes the subshell's exit status to fd 4
 * once it has ended. The command's output is in the pipes by then, so with
 * nothing else left in the cgroup (pids.current 1: the shell) it is
 * reported at once, without waiting for any process to be reaped, and only
 * then is the next subshell forked. A command that left processes
 * running ends with them and the session shell (cgroup.kill, as any
 * command's leftovers), and so does one killed (timeout, abort, OOM: the
 * cgroup is one OOM group); a new session shell is started once no
 * command runs. Each command still gets a process of its own, so nothing
 * it sets (variables, directory, traps, options) reaches the next; but
 * `$$` is the session shell's, the same for every command of the session.
 * The session shell serves one command at a time: another at once, and a
 * command without `proc`, get `sh -c` of their own (there the shell execs
 * a lone command in place, where eval would fork it, which pids.max 1
 * refuses).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <linux/sched.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <linux/filter.h>
#include <linux/random.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <dirent.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_JOBS 32
#define MAX_FRAME (8 * 1024 * 1024)

/* A command's cgroup, kept for the next command once the last one's processes are gone. */
struct slot {
  int made, busy;
  int fd;             /* the directory, for CLONE_INTO_CGROUP */
  long long pids_max; /* as last written; 0: "max" */
  long long oom_kills; /* memory.events' count when the last command in it finished */
  int pids_current;    /* pids.current, open: read again at offset 0 */
  char path[64];
};

struct job {
  int used;
  unsigned long id;
  pid_t pid;
  int out, err;
  int exited, status, timed_out;
  long long deadline; /* ms on CLOCK_MONOTONIC; 0: none */
  struct slot *slot;
  /* Ran in the session shell, which reported its status and that nothing of it is left: its cgroup is the shell's still, and no OOM kill happened in it (that would have ended the shell too). */
  int reported_by_shell;
};

/* The session shell (see the head of this file); pid 0: none. */
struct session_shell {
  pid_t pid;
  int out, err; /* its stdout and stderr, and so its commands' */
  int trigger;  /* its fd 3: a line forks the next subshell, the next line runs a command in it */
  int status;   /* its fd 4: the exit status of each command's subshell */
  struct slot *slot;
  struct job *job; /* the command it runs; NULL: none */
};

/* The session shell's next command (a memfd: no name a command could remove or write to), and its path for the shell. */
static int script = -1;
static char script_path[32];

static struct job jobs[MAX_JOBS];
static struct slot slots[MAX_JOBS + 1]; /* one more: the session shell's */
static struct session_shell shell;
/* Session shells that ended with no command: past a few, the image's shell is broken and restarting it would spin. */
static int shells_lost;
static int port = -1;
/* Where frames to the host go: the port, or stdout in a sandbox. */
static int port_out = -1;
static long long command_memory_max;
/* Running in a bwrap sandbox (see the head of this file), and the seccomp filter its commands get (NULL: none). */
static int sandboxed;
static struct sock_fprog command_filter;

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void write_all(int fd, const char *data, size_t length) {
  while (length > 0) {
    ssize_t n = write(fd, data, length);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        struct pollfd p = {fd, POLLOUT, 0};
        poll(&p, 1, 100);
        continue;
      }
      return; /* The host went away: what it does not read is lost with it. */
    }
    data += n;
    length -= (size_t)n;
  }
}

static void send_frame(char type, unsigned long id, const char *data, size_t length) {
  char frame[4096];
  int n = snprintf(frame, sizeof frame, "%c %lu %zu\n", type, id, length);
  /* A short frame goes in one write: each write is a message through the virtio queue, costly under TCG. */
  if (length <= sizeof frame - (size_t)n) {
    memcpy(frame + n, data, length);
    return write_all(port_out, frame, (size_t)n + length);
  }
  write_all(port_out, frame, (size_t)n);
  write_all(port_out, data, length);
}

static void send_text(char type, unsigned long id, const char *format, ...) {
  char text[512];
  va_list args;
  va_start(args, format);
  int n = vsnprintf(text, sizeof text, format, args);
  va_end(args);
  send_frame(type, id, text, n < 0 ? 0 : (size_t)n >= sizeof text ? sizeof text - 1 : (size_t)n);
}

static int write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = write(fd, text, strlen(text));
  int saved = errno;
  close(fd);
  errno = saved;
  return n < 0 ? -1 : 0;
}

static long long read_number_after(const char *path, const char *key) {
  char text[4096];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, text, sizeof text - 1);
  close(fd);
  if (n <= 0) return -1;
  text[n] = 0;
  char *at = strstr(text, key);
  return at == NULL ? -1 : atoll(at + strlen(key));
}

/* The port is found by name, as virtio-serial publishes it; the device node is /dev/vportNpM. */
static int open_port(void) {
  glob_t found;
  int fd = -1;
  if (glob("/sys/class/virtio-ports/*/name", 0, NULL, &found) != 0) return -1;
  for (size_t i = 0; i < found.gl_pathc && fd < 0; i++) {
    char name[64] = {0};
    int nfd = open(found.gl_pathv[i], O_RDONLY);
    if (nfd < 0) continue;
    ssize_t n = read(nfd, name, sizeof name - 1);
    close(nfd);
    if (n > 0 && strncmp(name, "agent", 5) == 0 && (name[5] == '\n' || name[5] == 0)) {
      char device[128];
      const char *dir = found.gl_pathv[i] + strlen("/sys/class/virtio-ports/");
      snprintf(device, sizeof device, "/dev/%.*s", (int)(strchr(dir, '/') - dir), dir);
      fd = open(device, O_RDWR | O_CLOEXEC | O_NONBLOCK);
    }
  }
  globfree(&found);
  return fd;
}

static struct job *job_by_id(unsigned long id) {
  for (int i = 0; i < MAX_JOBS; i++)
    if (jobs[i].used && jobs[i].id == id) return &jobs[i];
  return NULL;
}

/* Whether PID's process group is a running command's (other than EXCEPT). */
static int owned_by_running_job(pid_t pid, const struct job *except) {
  pid_t group = getpgid(pid);
  for (int i = 0; i < MAX_JOBS; i++)
    if (jobs[i].used && !jobs[i].exited && &jobs[i] != except && jobs[i].pid == group) return 1;
  return 0;
}

/*
 * Whether this agent is the init of a pid namespace of its own, with that
 * namespace's /proc: pid 1, and /proc/self says so. Nothing else may let it
 * kill what it finds in /proc: run on the host (as root), that would be
 * every process of the machine.
 */
static int init_of_own_namespace(void) {
  char self[16] = {0};
  return getpid() == 1 && readlink("/proc/self", self, sizeof self - 1) == 1 && self[0] == '1';
}

/* In a sandbox: every process but this agent and the running commands' (other than EXCEPT). Only as its namespace's init (see above). */
static void kill_strays(const struct job *except) {
  if (!sandboxed || !init_of_own_namespace()) return;
  DIR *proc = opendir("/proc");
  if (proc == NULL) return;
  struct dirent *entry;
  while ((entry = readdir(proc)) != NULL) {
    pid_t pid = (pid_t)atoi(entry->d_name);
    if (pid <= 1 || owned_by_running_job(pid, except)) continue;
    kill(pid, SIGKILL);
  }
  closedir(proc);
}

/* Whether a command other than EXCEPT still runs (its shell has not exited). */
static int other_job_running(const struct job *except) {
  for (int i = 0; i < MAX_JOBS; i++)
    if (jobs[i].used && !jobs[i].exited && &jobs[i] != except) return 1;
  return 0;
}

static void kill_job(struct job *job) {
  if (job->slot == NULL) {
    if (job->pid > 0) kill(-job->pid, SIGKILL);
    /* What left the group is no one's once no command runs: a process of a command still running (another group it made) is left to it. */
    if (!other_job_running(job)) kill_strays(job);
    return;
  }
  char path[128];
  snprintf(path, sizeof path, "%s/cgroup.kill", job->slot->path);
  if (write_file(path, "1") != 0 && job->pid > 0 && !job->exited) kill(-job->pid, SIGKILL);
}

static int make_slot(struct slot *slot, int index) {
  snprintf(slot->path, sizeof slot->path, "/sys/fs/cgroup/command-%d", index);
  if (mkdir(slot->path, 0755) != 0 && errno != EEXIST) return -1;
  char path[96], value[32];
  snprintf(path, sizeof path, "%s/memory.max", slot->path);
  snprintf(value, sizeof value, "%lld", command_memory_max);
  write_file(path, value);
  snprintf(path, sizeof path, "%s/memory.oom.group", slot->path);
  write_file(path, "1");
  slot->fd = open(slot->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (slot->fd < 0) return -1;
  snprintf(path, sizeof path, "%s/pids.current", slot->path);
  slot->pids_current = open(path, O_RDONLY | O_CLOEXEC);
  slot->made = 1;
  slot->pids_max = 0;
  slot->oom_kills = 0;
  return 0;
}

/* PIDS (0: none) as the slot's pids.max, written only when it changes. */
static int limit_pids(struct slot *slot, long long pids) {
  if (pids == slot->pids_max) return 0;
  char path[96], value[32];
  snprintf(path, sizeof path, "%s/pids.max", slot->path);
  snprintf(value, sizeof value, "%lld", pids);
  if (write_file(path, pids > 0 ? value : "max") != 0) return -1;
  slot->pids_max = pids;
  return 0;
}

/* A free cgroup with no process left in it, made when none is. */
static struct slot *take_slot(void) {
  for (int i = 0; i <= MAX_JOBS; i++) {
    struct slot *slot = &slots[i];
    if (!slot->made || slot->busy) continue;
    char path[96];
    snprintf(path, sizeof path, "%s/cgroup.events", slot->path);
    if (read_number_after(path, "populated ") == 0) return slot;
  }
  for (int i = 0; i <= MAX_JOBS; i++)
    if (!slots[i].made) return make_slot(&slots[i], i) == 0 ? &slots[i] : NULL;
  errno = EBUSY;
  return NULL;
}

/*
 * Starts /bin/sh with ARGV and ENV in SLOT's cgroup (clone3 with
 * CLONE_INTO_CGROUP: born there, not moved there), stdin /dev/null, stdout
 * and stderr into pipes whose read ends (non-blocking) it puts in OUT and
 * ERR; FD3 and FD4 (-1: none) become its fds 3 and 4, CWD its directory
 * (NULL: this one's). The pid, or -1 and errno.
 */
static pid_t start_shell(struct slot *slot, char **argv, char **env, const char *cwd, int fd3, int fd4, int *out, int *err) {
  int outs[2], errs[2];
  if (pipe2(outs, O_CLOEXEC) != 0) return -1;
  if (pipe2(errs, O_CLOEXEC) != 0) return close(outs[0]), close(outs[1]), -1;
  /* Everything the child needs is prepared before it starts; it only makes system calls (no libc state is relied on). */
  int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  sigset_t none;
  sigemptyset(&none);
  struct clone_args args;
  memset(&args, 0, sizeof args);
  args.flags = slot == NULL ? 0 : CLONE_INTO_CGROUP;
  args.exit_signal = SIGCHLD;
  args.cgroup = slot == NULL ? 0 : (unsigned long long)slot->fd;
  pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0 && errno == ENOSYS && slot == NULL) pid = (pid_t)syscall(SYS_fork);
  if (pid == 0) {
    /* The mask is the child's own (SIGCHLD stays blocked here, for the signalfd); exec keeps it, so it is cleared. */
    sigprocmask(SIG_SETMASK, &none, NULL);
    setsid();
    /* This agent is never the OOM killer's choice; the command must be, or a hog at its limit leaves nothing to kill. */
    if (!sandboxed && write_file("/proc/self/oom_score_adj", "0") != 0) _exit(125);
    dup2(null, 0);
    dup2(outs[1], 1);
    dup2(errs[1], 2);
    /* Moved out of the way first: either may be fd 3 or 4 itself. (dup2 leaves the copies it makes open across exec.) */
    int high3 = fd3 < 0 ? -1 : fcntl(fd3, F_DUPFD_CLOEXEC, 10), high4 = fd4 < 0 ? -1 : fcntl(fd4, F_DUPFD_CLOEXEC, 10);
    if (high3 >= 0) dup2(high3, 3);
    if (high4 >= 0) dup2(high4, 4);
    if (cwd != NULL && chdir(cwd) != 0) _exit(126);
    /* Last, so that only the command runs under it: fork and clone for a new process are refused from here on. */
    if (command_filter.filter != NULL &&
        (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &command_filter) != 0)) {
      static const char message[] = "flow-agent: cannot install the sandbox's seccomp filter\n";
      write(2, message, sizeof message - 1);
      _exit(125);
    }
    execve("/bin/sh", argv, env);
    _exit(127);
  }
  int saved = errno;
  close(null);
  close(outs[1]);
  close(errs[1]);
  if (pid < 0) {
    close(outs[0]), close(errs[0]);
    errno = saved;
    return -1;
  }
  fcntl(outs[0], F_SETFL, O_NONBLOCK);
  fcntl(errs[0], F_SETFL, O_NONBLOCK);
  *out = outs[0];
  *err = errs[0];
  return pid;
}

/* The session shell's loop; %s is the script's path. The subshell unsets the variable its read set before its command sees it. */
static const char shell_loop[] = "while read -r -u 3 REPLY; do (read -r -u 3 REPLY || exit; unset REPLY; . %s); echo $? >&4; done";

static void make_shell(void) {
  if (script < 0) {
    script = memfd_create("flow-command", MFD_CLOEXEC);
    if (script < 0) return;
    snprintf(script_path, sizeof script_path, "/proc/%d/fd/%d", (int)getpid(), script);
  }
  struct slot *slot = take_slot();
  if (slot == NULL) return;
  int trigger[2], status[2], out, err;
  if (pipe2(trigger, O_CLOEXEC) != 0) return;
  if (pipe2(status, O_CLOEXEC) != 0) return (void)(close(trigger[0]), close(trigger[1]));
  char loop[sizeof shell_loop + sizeof script_path];
  snprintf(loop, sizeof loop, shell_loop, script_path);
  char *argv[] = {"sh", "-c", loop, NULL};
  char *env[] = {NULL};
  pid_t pid = start_shell(slot, argv, env, NULL, trigger[0], status[1], &out, &err);
  close(trigger[0]);
  close(status[1]);
  if (pid < 0) return (void)(close(trigger[1]), close(status[0]));
  fcntl(status[0], F_SETFL, O_NONBLOCK);
  slot->busy = 1;
  shell = (struct session_shell){pid, out, err, trigger[1], status[0], slot, NULL};
  write_all(shell.trigger, "\n", 1); /* the first subshell */
}

/* Appends TEXT single-quoted for sh; returns the new end, or NULL past LIMIT. */
static char *quoted(char *at, const char *limit, const char *text) {
  if (at >= limit) return NULL;
  *at++ = '\'';
  for (; *text != 0; text++) {
    if (limit - at < 8) return NULL;
    if (*text == '\'') {
      memcpy(at, "'\\''", 4);
      at += 4;
    } else *at++ = *text;
  }
  if (limit - at < 2) return NULL;
  *at++ = '\'';
  return at;
}

static int is_name(const char *text, const char *end) {
  if (text == end || (*text >= '0' && *text <= '9')) return 0;
  for (; text < end; text++)
    if (!(*text == '_' || (*text >= 'a' && *text <= 'z') || (*text >= 'A' && *text <= 'Z') || (*text >= '0' && *text <= '9'))) return 0;
  return 1;
}

/* The session shell's script for a command: what `sh -c COMMAND` with ENV in CWD would be. 0 when it cannot say it (too long, a variable sh cannot name). */
static size_t command_script(char *buffer, size_t size, const char *cwd, const char *command, char **env) {
  const char *limit = buffer + size;
  char *at = buffer + snprintf(buffer, size, "exec 3<&- 4>&-\n");
  for (char **variable = env; *variable != NULL; variable++) {
    const char *equals = strchr(*variable, '=');
    if (equals == NULL || !is_name(*variable, equals) || limit - at < 16) return 0;
    memcpy(at, "export ", 7);
    at = quoted(at + 7, limit, *variable);
    if (at == NULL) return 0;
    *at++ = '\n';
  }
  if (limit - at < 8) return 0;
  memcpy(at, "cd ", 3);
  at = quoted(at + 3, limit, cwd);
  if (at == NULL || limit - at < 64) return 0;
  /* Its complaint is not the command's (`sh -c` in a directory that is gone ends 126, silent): stderr is closed, not /dev/null, an open less. */
  at += snprintf(at, (size_t)(limit - at), " 2>&- || exit 126\nunset OLDPWD\neval ");
  at = quoted(at, limit, command);
  if (at == NULL || limit - at < 2) return 0;
  *at++ = '\n';
  return (size_t)(at - buffer);
}

/* Hands the command to the session shell; 0 when there is none, it is busy, or the command cannot go to it. */
static int start_in_shell(struct job *job, const char *cwd, const char *command, char **env, long long pids) {
  static char text[65536];
  if (shell.pid <= 0 || shell.job != NULL || pids == 1) return 0;
  size_t length = command_script(text, sizeof text, cwd, command, env);
  if (length == 0) return 0;
  /* The session shell is one of the cgroup's processes: the command may start PIDS besides it, as in a cgroup of its own. */
  if (limit_pids(shell.slot, pids > 0 ? pids + 1 : 0) != 0) return 0;
  if (pwrite(script, text, length, 0) != (ssize_t)length || ftruncate(script, (off_t)length) != 0) return 0;
  write_all(shell.trigger, "\n", 1);
  /* No pid: the shell's own end is its (the reaper's), and the command's subshell is never reaped here. */
  job->slot = shell.slot;
  job->out = shell.out;
  job->err = shell.err;
  job->used = 1;
  shell.job = job;
  return 1;
}

static void start_job(unsigned long id, char *payload, size_t length) {
  char *fields[4];
  char *at = payload, *end = payload + length;
  for (int i = 0; i < 4; i++) {
    char *nul = memchr(at, 0, (size_t)(end - at));
    if (nul == NULL) return send_text('F', id, "malformed exec request");
    fields[i] = at;
    at = nul + 1;
  }
  char *env[256];
  int count = 0;
  while (at < end && count < 255) {
    char *nul = memchr(at, 0, (size_t)(end - at));
    if (nul == NULL) break;
    env[count++] = at;
    at = nul + 1;
  }
  env[count] = NULL;

  struct job *job = NULL;
  for (int i = 0; i < MAX_JOBS && job == NULL; i++)
    if (!jobs[i].used) job = &jobs[i];
  if (job == NULL) return send_text('F', id, "too many commands at once (%d)", MAX_JOBS);
  memset(job, 0, sizeof *job);
  job->id = id;
  long long timeout = atoll(fields[0]);
  long long pids = atoll(fields[1]);
  job->deadline = timeout > 0 ? now_ms() + timeout : 0;
  char *argv[] = {"/bin/sh", "-c", fields[3], NULL};
  int out, err;
  if (sandboxed) {
    pid_t pid = start_shell(NULL, argv, env, fields[2], -1, -1, &out, &err);
    if (pid < 0) return send_text('F', id, "starting the shell: %s", strerror(errno));
    *job = (struct job){.used = 1, .id = id, .pid = pid, .out = out, .err = err, .deadline = job->deadline};
    return;
  }
  if (start_in_shell(job, fields[2], fields[3], env, pids)) return;
  struct slot *slot = take_slot();
  if (slot == NULL) return send_text('F', id, "cannot create the command's cgroup: %s", strerror(errno));
  job->slot = slot;
  if (limit_pids(slot, pids) != 0) return send_text('F', id, "cannot limit the command's processes: %s", strerror(errno));
  pid_t pid = start_shell(slot, argv, env, fields[2], -1, -1, &out, &err);
  if (pid < 0) return send_text('F', id, "starting the shell: %s", strerror(errno));
  slot->busy = 1;
  job->used = 1;
  job->pid = pid;
  job->out = out;
  job->err = err;
}

static void finish_job(struct job *job) {
  struct slot *slot = job->slot;
  int exit_code = WIFEXITED(job->status) ? WEXITSTATUS(job->status) : 128 + WTERMSIG(job->status);
  job->used = 0;
  /* In a sandbox the host counts OOM kills itself, in the sandbox's cgroup. */
  if (slot == NULL) return send_text('X', job->id, "%d 0 %d", exit_code, job->timed_out);
  /* The session shell still lives in the cgroup, and serves the next command. */
  if (job->reported_by_shell) return send_text('X', job->id, "%d 0 %d", exit_code, job->timed_out);
  char path[96];
  snprintf(path, sizeof path, "%s/memory.events", slot->path);
  long long oom = read_number_after(path, "oom_kill ");
  send_text('X', job->id, "%d %d %d", exit_code, oom > slot->oom_kills ? 1 : 0, job->timed_out);
  if (oom > slot->oom_kills) slot->oom_kills = oom;
  slot->busy = 0; /* Serves again once what was killed in it has gone (take_slot). */
}

static void drain(struct job *job, int *fd, char type) {
  char buffer[65536];
  for (;;) {
    ssize_t n = read(*fd, buffer, sizeof buffer);
    if (n > 0) {
      send_frame(type, job->id, buffer, (size_t)n);
      continue;
    }
    if (n < 0 && (errno == EINTR)) continue;
    if (n < 0 && errno == EAGAIN) return;
    close(*fd);
    *fd = -1;
    return;
  }
}

/*
 * The session shell has written a subshell's exit status: its command has
 * ended, and what it wrote is in the pipes. With nothing else left in the
 * cgroup (the shell alone) the command is done; otherwise what it left ends
 * with the shell, and the command is reported once their output has ended
 * too, as a command in a cgroup of its own is.
 */
static void shell_reported(void) {
  char text[32];
  ssize_t n = read(shell.status, text, sizeof text - 1);
  if (n <= 0) return; /* Nothing yet, or the shell has ended: the reaper sees to its command. */
  text[n] = 0;
  struct job *job = shell.job;
  shell.job = NULL;
  if (job == NULL) return;
  job->exited = 1;
  job->status = W_EXITCODE(atoi(text) & 0xff, 0);
  drain(job, &job->out, 'O');
  drain(job, &job->err, 'E');
  char count[32] = {0};
  if (job->out >= 0 && job->err >= 0 && pread(shell.slot->pids_current, count, sizeof count - 1, 0) > 0 && atoll(count) == 1) {
    job->out = job->err = -1; /* The shell's: the next command's. */
    job->reported_by_shell = 1;
    finish_job(job);
    /* Forked only now: it would compete with the report for the CPU. */
    write_all(shell.trigger, "\n", 1);
    return;
  }
  /* The pipes are the command's now, to their end; a new shell is made once no command runs. */
  shell.out = shell.err = -1;
  kill_job(job);
}

/* The session shell has ended: killed with its command (timeout, abort, the OOM killer, leftovers), or by itself. */
static void shell_ended(int status) {
  struct job *job = shell.job;
  if (job != NULL) {
    /* Reported as a shell of its own would be: killed, it says how; its pipes end once all in its cgroup have. */
    job->exited = 1;
    job->status = status;
    kill_job(job);
  } else if (shell.out >= 0 || shell.err >= 0) {
    /* Ended with no command (killed as its last one ended, or by itself): its cgroup serves again once empty (take_slot). */
    if (shell.out >= 0) close(shell.out);
    if (shell.err >= 0) close(shell.err);
    shell.slot->busy = 0;
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) shells_lost++;
  } /* else its pipes and cgroup are a command's that left processes behind: that command frees them when it finishes. */
  close(shell.trigger);
  close(shell.status);
  shell = (struct session_shell){0};
}

/*
 * The NIC's driver is loaded at boot but the device left unbound
 * (guest-init.sh), so a VM without `net` has no interface. The template
 * that clones granted `net` are restored from has the device bound and
 * configured for QEMU's user-mode network before it is saved (binding
 * costs ~130 ms under TCG, too much for every clone), here with ioctls:
 * starting `ip` three times costs ~100 ms more.
 */
static int set_address(int sock, const char *name, unsigned long request, const char *address) {
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
  struct sockaddr_in *in = (struct sockaddr_in *)&ifr.ifr_addr;
  in->sin_family = AF_INET;
  inet_pton(AF_INET, address, &in->sin_addr);
  return ioctl(sock, request, &ifr);
}

static int set_up(int sock, const char *name) {
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
  if (ioctl(sock, SIOCGIFFLAGS, &ifr) != 0) return -1;
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  return ioctl(sock, SIOCSIFFLAGS, &ifr);
}

static void network_up(unsigned long id) {
  glob_t found;
  int bound = 0;
  if (glob("/sys/bus/virtio/devices/*/device", 0, NULL, &found) == 0) {
    for (size_t i = 0; i < found.gl_pathc; i++) {
      char kind[16] = {0};
      int fd = open(found.gl_pathv[i], O_RDONLY | O_CLOEXEC);
      if (fd < 0) continue;
      ssize_t n = read(fd, kind, sizeof kind - 1);
      close(fd);
      if (n <= 0 || strncmp(kind, "0x0001", 6) != 0) continue; /* VIRTIO_ID_NET */
      char *device = strdup(found.gl_pathv[i] + strlen("/sys/bus/virtio/devices/"));
      *strchr(device, '/') = 0;
      bound = write_file("/sys/bus/virtio/drivers/virtio_net/bind", device) == 0 || errno == EBUSY;
      free(device);
    }
    globfree(&found);
  }
  if (!bound) return send_text('F', id, "no network device to bind: %s", strerror(errno));
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct rtentry route;
  memset(&route, 0, sizeof route);
  ((struct sockaddr_in *)&route.rt_dst)->sin_family = AF_INET;
  ((struct sockaddr_in *)&route.rt_genmask)->sin_family = AF_INET;
  struct sockaddr_in *gateway = (struct sockaddr_in *)&route.rt_gateway;
  gateway->sin_family = AF_INET;
  inet_pton(AF_INET, "10.0.2.2", &gateway->sin_addr);
  route.rt_flags = RTF_UP | RTF_GATEWAY;
  int ok = sock >= 0 && set_up(sock, "lo") == 0 && set_address(sock, "eth0", SIOCSIFADDR, "10.0.2.15") == 0 &&
           set_address(sock, "eth0", SIOCSIFNETMASK, "255.255.255.0") == 0 && set_up(sock, "eth0") == 0 &&
           (ioctl(sock, SIOCADDRT, &route) == 0 || errno == EEXIST);
  int saved = errno;
  if (sock >= 0) close(sock);
  if (!ok) return send_text('F', id, "configuring the network: %s", strerror(saved));
  int fd = open("/etc/resolv.conf", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd >= 0) {
    write_all(fd, "nameserver 10.0.2.3\n", 20);
    close(fd);
  }
  send_text('R', id, "ok");
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

static void wake(unsigned long id, char *payload) {
  long long seconds = 0, nanoseconds = 0;
  char hex[260] = {0}, share[4] = {0};
  if (sscanf(payload, "%lld %lld %258s %3s", &seconds, &nanoseconds, hex, share) != 4) return send_text('F', id, "malformed wake request");
  struct timespec ts = {(time_t)seconds, (long)nanoseconds};
  if (clock_settime(CLOCK_REALTIME, &ts) != 0) return send_text('F', id, "clock_settime: %s", strerror(errno));
  struct {
    int entropy_count;
    int buf_size;
    unsigned char buf[128];
  } seed = {0, 0, {0}};
  size_t length = strlen(hex) / 2;
  for (size_t i = 0; i < length && i < sizeof seed.buf; i++) {
    int high = hex_value(hex[2 * i]), low = hex_value(hex[2 * i + 1]);
    if (high < 0 || low < 0) return send_text('F', id, "malformed seed");
    seed.buf[i] = (unsigned char)(high * 16 + low);
  }
  seed.buf_size = (int)length;
  seed.entropy_count = (int)length * 8;
  int fd = open("/dev/urandom", O_WRONLY | O_CLOEXEC);
  if (fd < 0) return send_text('F', id, "/dev/urandom: %s", strerror(errno));
  int ok = ioctl(fd, RNDADDENTROPY, &seed) == 0 && ioctl(fd, RNDRESEEDCRNG) == 0;
  int saved = errno;
  close(fd);
  if (!ok) return send_text('F', id, "reseeding the RNG: %s", strerror(saved));
  /* cache=none: the host's tree is the truth, and the host writes to it between commands. */
  if (strcmp(share, "-") != 0 &&
      mount("work", "/work", "9p", strcmp(share, "rw") == 0 ? 0 : MS_RDONLY, "trans=virtio,version=9p2000.L,msize=262144,cache=none") != 0)
    return send_text('F', id, "mounting the work tree: %s", strerror(errno));
  send_text('R', id, "ok");
}

static void handle(char type, unsigned long id, char *payload, size_t length) {
  switch (type) {
  case 'p':
    return send_text('R', id, "pong");
  case 'w':
    return wake(id, payload);
  case 'n':
    return network_up(id);
  case 'x':
    return start_job(id, payload, length);
  case 'k': {
    struct job *job = job_by_id(id);
    if (job != NULL) kill_job(job);
    return;
  }
  default:
    return send_text('F', id, "unknown request type %c", type);
  }
}

static char input[MAX_FRAME + 128];
static size_t input_length;

/* Handles every whole frame in the input; keeps a partial one for the next read. */
static void parse_input(void) {
  size_t at = 0;
  for (;;) {
    char *newline = memchr(input + at, '\n', input_length - at);
    if (newline == NULL) break;
    char type = 0;
    unsigned long id = 0;
    size_t length = 0;
    if (sscanf(input + at, "%c %lu %zu", &type, &id, &length) != 3 || length > MAX_FRAME) {
      input_length = 0; /* Out of step with the host: drop everything, it will time out and say so. */
      return;
    }
    size_t start = (size_t)(newline - input) + 1;
    if (input_length - start < length) break;
    char saved = input[start + length];
    input[start + length] = 0;
    handle(type, id, input + start, length);
    input[start + length] = saved;
    at = start + length;
  }
  memmove(input, input + at, input_length - at);
  input_length -= at;
}

/* The host disconnected (its flow process ended, or this VM is a template being snapshotted): its commands have no one to report to. */
static void host_gone(void) {
  for (int i = 0; i < MAX_JOBS; i++)
    if (jobs[i].used) kill_job(&jobs[i]);
  input_length = 0;
  /* A sandbox's agent serves one host: without it, the sandbox ends (bwrap's init takes down what is left). */
  if (sandboxed) {
    kill_strays(NULL);
    _exit(0);
  }
}

static int hex_value(char c);

/*
 * `--sandbox [FILTER]`: frames over stdin and stdout; FILTER, when given, is
 * the commands' seccomp program in hex, or else FLOW_COMMAND_FILTER in this
 * agent's environment (bwrap's --setenv: a sandbox started ahead of its
 * session gets its arguments, this one among them, only when launched).
 */
static int start_sandboxed(int argc, char **argv) {
  /* It ends strays by scanning /proc: refused anywhere but as pid 1 of its own pid namespace (bwrap --unshare-pid --as-pid-1). */
  if (!init_of_own_namespace()) {
    fprintf(stderr, "flow-agent: --sandbox runs only as pid 1 of a pid namespace of its own (bwrap --as-pid-1)\n");
    exit(2);
  }
  sandboxed = 1;
  /* Nothing the host (or bwrap) left open reaches a command: the executable this agent was started from, status pipes. */
  if (syscall(SYS_close_range, 3, ~0U, 0) != 0)
    for (int fd = 3; fd < 1024; fd++) close(fd);
  /* Neither traced nor read through /proc by the commands, which run as the same user. */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  const char *filter = argc > 2 ? argv[2] : getenv("FLOW_COMMAND_FILTER");
  if (filter != NULL) {
    size_t length = strlen(filter);
    if (length == 0 || length % 16 != 0) return -1;
    struct sock_filter *program = calloc(length / 16, sizeof *program);
    unsigned char *bytes = (unsigned char *)program;
    for (size_t i = 0; i < length / 2; i++) {
      int high = hex_value(filter[2 * i]), low = hex_value(filter[2 * i + 1]);
      if (high < 0 || low < 0) return -1;
      bytes[i] = (unsigned char)(high * 16 + low);
    }
    command_filter.len = (unsigned short)(length / 16);
    command_filter.filter = program;
  }
  port = 0;
  port_out = 1;
  fcntl(port, F_SETFL, O_NONBLOCK);
  fcntl(port, F_SETFD, FD_CLOEXEC);
  fcntl(port_out, F_SETFD, FD_CLOEXEC);
  send_text('R', 0, "ready");
  return 0;
}

int main(int argc, char **argv) {
  sigset_t child;
  sigemptyset(&child);
  sigaddset(&child, SIGCHLD);
  sigprocmask(SIG_BLOCK, &child, NULL);
  if (argc > 1 && strcmp(argv[1], "--sandbox") == 0) {
    if (start_sandboxed(argc, argv) != 0) {
      fprintf(stderr, "flow-agent: malformed seccomp filter\n");
      return 2;
    }
  }
  int children = signalfd(-1, &child, SFD_NONBLOCK | SFD_CLOEXEC);

  /* kB. Keep back a 16th of the RAM, at least 48 MiB, for this agent, the kernel's buffers, 9p and the network: with
     less (24 MiB was tried), a command at its limit left the guest too little to kill it in and it hung. */
  if (!sandboxed) {
    long long available = read_number_after("/proc/meminfo", "MemAvailable:");
    long long total = read_number_after("/proc/meminfo", "MemTotal:");
    long long reserve = total / 16 > 48 * 1024 ? total / 16 : 48 * 1024;
    command_memory_max = available > 0 ? (available - reserve) * 1024 : 64LL * 1024 * 1024;
    if (command_memory_max < 8LL * 1024 * 1024) command_memory_max = 8LL * 1024 * 1024;
    write_file("/proc/self/oom_score_adj", "-1000");
    /* Made before the template is saved: a clone's first commands find theirs. */
    make_slot(&slots[0], 0);
    make_slot(&slots[1], 1);
    make_shell();
    while ((port = open_port()) < 0) usleep(10000);
    port_out = port;
    fprintf(stderr, "flow-agent: ready\n");
  }

  for (;;) {
    struct pollfd fds[3 + 2 * MAX_JOBS];
    struct job *owners[3 + 2 * MAX_JOBS];
    int count = 0;
    fds[count++] = (struct pollfd){port, POLLIN, 0};
    fds[count++] = (struct pollfd){children, POLLIN, 0};
    /* Polled while it runs a command (fd -1 is ignored). */
    fds[count++] = (struct pollfd){shell.job != NULL ? shell.status : -1, POLLIN, 0};
    long long wait = -1, now = now_ms();
    for (int i = 0; i < MAX_JOBS; i++) {
      struct job *job = &jobs[i];
      if (!job->used) continue;
      if (job->out >= 0) owners[count] = job, fds[count++] = (struct pollfd){job->out, POLLIN, 0};
      if (job->err >= 0) owners[count] = job, fds[count++] = (struct pollfd){job->err, POLLIN, 0};
      if (job->deadline > 0 && !job->exited) {
        long long left = job->deadline - now;
        if (left <= 0) {
          job->timed_out = 1;
          job->deadline = 0;
          kill_job(job);
        } else if (wait < 0 || left < wait) wait = left;
      }
    }
    if (count > 3 && (wait < 0 || wait > 1000)) wait = 1000;
    if (poll(fds, (nfds_t)count, (int)wait) < 0) continue;

    if (fds[0].revents != 0) {
      ssize_t n = read(port, input + input_length, sizeof input - input_length);
      if (n > 0) {
        input_length += (size_t)n;
        parse_input();
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        /* No host on the other end (the port reads as ended, and polls as such): wait for one; a restored clone's host connects within milliseconds. */
        host_gone();
        usleep(2000);
      }
    }
    {
      /* Reaped on every wake-up, not only on SIGCHLD: cheap, and a job can never wait on a lost signal. */
      struct signalfd_siginfo info;
      while (read(children, &info, sizeof info) > 0) {
      }
      int status;
      pid_t pid;
      while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        if (pid == shell.pid) {
          /* Its last word first: the status of a command that ended before the shell did. */
          if (shell.job != NULL) shell_reported();
          shell_ended(status);
        }
        for (int i = 0; i < MAX_JOBS; i++) {
          if (jobs[i].used && jobs[i].pid == pid) {
            jobs[i].exited = 1;
            jobs[i].status = status;
            /* Whatever the shell left running would keep its pipes open (and outlive the step): end it. */
            kill_job(&jobs[i]);
          }
        }
      }
    }
    if (fds[2].revents != 0 && shell.job != NULL) shell_reported();
    for (int i = 3; i < count; i++) {
      if (fds[i].revents == 0) continue;
      struct job *job = owners[i];
      if (fds[i].fd == job->out) drain(job, &job->out, 'O');
      else if (fds[i].fd == job->err) drain(job, &job->err, 'E');
    }
    int running = 0;
    for (int i = 0; i < MAX_JOBS; i++) {
      if (jobs[i].used && jobs[i].exited && jobs[i].out < 0 && jobs[i].err < 0) finish_job(&jobs[i]);
      running |= jobs[i].used;
    }
    /* Started only when no command runs: it would compete with one for the CPU. */
    if (!sandboxed && shell.pid == 0 && !running && shells_lost < 3) make_shell();
  }
}
