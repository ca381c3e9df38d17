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
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <linux/random.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_JOBS 32
#define MAX_FRAME (8 * 1024 * 1024)

struct job {
  int used;
  unsigned long id;
  pid_t pid;
  int out, err;
  int exited, status, timed_out;
  long long deadline; /* ms on CLOCK_MONOTONIC; 0: none */
  char cgroup[96];
};

static struct job jobs[MAX_JOBS];
static int port = -1;
static long long command_memory_max;

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
  char header[64];
  int n = snprintf(header, sizeof header, "%c %lu %zu\n", type, id, length);
  write_all(port, header, (size_t)n);
  write_all(port, data, length);
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

static void kill_job(struct job *job) {
  char path[128];
  snprintf(path, sizeof path, "%s/cgroup.kill", job->cgroup);
  if (write_file(path, "1") != 0 && job->pid > 0 && !job->exited) kill(-job->pid, SIGKILL);
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

  snprintf(job->cgroup, sizeof job->cgroup, "/sys/fs/cgroup/job-%lu", id);
  if (mkdir(job->cgroup, 0755) != 0 && errno != EEXIST) return send_text('F', id, "cannot create the command's cgroup: %s", strerror(errno));
  char path[160], value[32];
  snprintf(path, sizeof path, "%s/memory.max", job->cgroup);
  snprintf(value, sizeof value, "%lld", command_memory_max);
  write_file(path, value);
  snprintf(path, sizeof path, "%s/memory.oom.group", job->cgroup);
  write_file(path, "1");
  if (pids > 0) {
    snprintf(path, sizeof path, "%s/pids.max", job->cgroup);
    snprintf(value, sizeof value, "%lld", pids);
    if (write_file(path, value) != 0) return send_text('F', id, "cannot limit the command's processes: %s", strerror(errno));
  }

  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) return send_text('F', id, "pipe: %s", strerror(errno));
  /* Everything the child needs is prepared before it starts; it only makes system calls. */
  char procs[160];
  snprintf(procs, sizeof procs, "%s/cgroup.procs", job->cgroup);
  char *argv[] = {"sh", "-c", fields[3], NULL};
  int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  sigset_t none;
  sigemptyset(&none);
  pid_t pid = fork();
  if (pid == 0) {
    /* The mask is the child's own (SIGCHLD stays blocked here, for the signalfd); exec keeps it, so it is cleared. */
    sigprocmask(SIG_SETMASK, &none, NULL);
    setsid();
    /* This agent is never the OOM killer's choice; the command must be, or a hog at its limit leaves nothing to kill. */
    if (write_file("/proc/self/oom_score_adj", "0") != 0 || write_file(procs, "0") != 0) _exit(125);
    dup2(null, 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    if (chdir(fields[2]) != 0) _exit(126);
    execve("/bin/sh", argv, env);
    _exit(127);
  }
  close(null);
  if (pid < 0) return send_text('F', id, "fork: %s", strerror(errno));
  close(out[1]);
  close(err[1]);
  fcntl(out[0], F_SETFL, O_NONBLOCK);
  fcntl(err[0], F_SETFL, O_NONBLOCK);
  job->used = 1;
  job->pid = pid;
  job->out = out[0];
  job->err = err[0];
}

static void finish_job(struct job *job) {
  char path[160];
  snprintf(path, sizeof path, "%s/memory.events", job->cgroup);
  long long oom = read_number_after(path, "oom_kill ");
  int exit_code = WIFEXITED(job->status) ? WEXITSTATUS(job->status) : 128 + WTERMSIG(job->status);
  send_text('X', job->id, "%d %d %d", exit_code, oom > 0 ? 1 : 0, job->timed_out);
  rmdir(job->cgroup); /* Busy while a killed process is still being reaped: it then stays, in the VM's RAM only. */
  job->used = 0;
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
}

int main(void) {
  sigset_t child;
  sigemptyset(&child);
  sigaddset(&child, SIGCHLD);
  sigprocmask(SIG_BLOCK, &child, NULL);
  int children = signalfd(-1, &child, SFD_NONBLOCK | SFD_CLOEXEC);

  /* kB. Keep back a 16th of the RAM, at least 48 MiB, for this agent, the kernel's buffers, 9p and the network: with
     less (24 MiB was tried), a command at its limit left the guest too little to kill it in and it hung. */
  long long available = read_number_after("/proc/meminfo", "MemAvailable:");
  long long total = read_number_after("/proc/meminfo", "MemTotal:");
  long long reserve = total / 16 > 48 * 1024 ? total / 16 : 48 * 1024;
  command_memory_max = available > 0 ? (available - reserve) * 1024 : 64LL * 1024 * 1024;
  if (command_memory_max < 8LL * 1024 * 1024) command_memory_max = 8LL * 1024 * 1024;
  write_file("/proc/self/oom_score_adj", "-1000");

  while ((port = open_port()) < 0) usleep(10000);
  fprintf(stderr, "flow-agent: ready\n");

  for (;;) {
    struct pollfd fds[2 + 2 * MAX_JOBS];
    struct job *owners[2 + 2 * MAX_JOBS];
    int count = 0;
    fds[count++] = (struct pollfd){port, POLLIN, 0};
    fds[count++] = (struct pollfd){children, POLLIN, 0};
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
    if (count > 2 && (wait < 0 || wait > 1000)) wait = 1000;
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
    for (int i = 2; i < count; i++) {
      if (fds[i].revents == 0) continue;
      struct job *job = owners[i];
      if (fds[i].fd == job->out) drain(job, &job->out, 'O');
      else if (fds[i].fd == job->err) drain(job, &job->err, 'E');
    }
    for (int i = 0; i < MAX_JOBS; i++)
      if (jobs[i].used && jobs[i].exited && jobs[i].out < 0 && jobs[i].err < 0) finish_job(&jobs[i]);
  }
}
