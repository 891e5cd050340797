// The pre-runtime stage of the container init ("stage 0").
//
// The Go runtime is multi-threaded before main() runs, but setns(2) into a
// user or mount namespace and unshare(CLONE_NEWUSER) require a
// single-threaded caller, and a new PID (or time) namespace only applies to
// children of the caller. So this constructor runs before the Go runtime
// starts, does only the mechanical namespace work, and returns into Go.
// Every policy decision (rootfs, devices, capabilities, users, hooks) is made
// in Go afterwards. See ARCHITECTURE.md, "The process model".
//
// Protocol (on the inherited stream socket named by _GOCONTAINER_INITPIPE):
// every message is a 4-byte native-endian length followed by that many bytes
// of text. The parent sends the bootstrap:
//
//	flags <hex clone flags to unshare>
//	join <hex CLONE_NEW* type> <path>  (repeated; namespaces to setns into)
//	timens <clock> <sec> <nsec>  (repeated; written to timens_offsets)
//	nondumpable                  (exec: PR_SET_DUMPABLE 0 before any join)
//
// and this stage answers with
//
//	usermap                      -> parent writes uid_map/gid_map, replies "ok"
//	pid <n>                      the pid (in the parent's pid namespace) of the
//	                             process that continues as container init
//	error <step>: <reason>       fatal; this process exits
//
// When a fork is needed (new or joined PID namespace, new time namespace),
// stage 0 forks, reports the child's pid and exits; the parent runtime is a
// child subreaper and adopts the orphaned init. Plain fork(2) is used rather
// than a raw clone(CLONE_PARENT) because the latter leaves glibc's cached
// thread id stale (runc #4233).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

#define MAX_JOIN 16
#define MAX_MSG (1 << 16)

static int sync_fd = -1;

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	while (len > 0) {
		ssize_t n = read(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = EPIPE;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int send_msg(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	uint32_t len = (uint32_t)n;
	if (write_all(sync_fd, &len, sizeof(len)) < 0)
		return -1;
	return write_all(sync_fd, buf, len);
}

// recv_msg reads one message into a malloc'd NUL-terminated buffer.
static char *recv_msg(void)
{
	uint32_t len;
	if (read_all(sync_fd, &len, sizeof(len)) < 0)
		return NULL;
	if (len > MAX_MSG) {
		errno = EMSGSIZE;
		return NULL;
	}
	char *buf = malloc(len + 1);
	if (buf == NULL)
		return NULL;
	if (read_all(sync_fd, buf, len) < 0) {
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

// bail reports the failing step and errno to the parent and exits. It never
// returns; the parent turns the message into the user's one-line error.
static void bail(const char *step, const char *arg)
{
	int saved = errno;
	if (arg != NULL)
		send_msg("error %s %s: %s", step, arg, strerror(saved));
	else
		send_msg("error %s: %s", step, strerror(saved));
	_exit(1);
}

struct join {
	int nstype;
	int fd;
	char *path;
};

// join_namespaces opens every path first (so a path inside one namespace is
// not resolved from another), then joins in runc's three passes: the
// namespaces the host root can enter, then the user namespace, then whatever
// needed the privileges that the user namespace grants (rootless case).
static void join_namespaces(struct join *js, int n)
{
	for (int i = 0; i < n; i++) {
		js[i].fd = open(js[i].path, O_RDONLY | O_CLOEXEC);
		if (js[i].fd < 0)
			bail("open namespace", js[i].path);
	}
	int pending = n;
	for (int pass = 0; pass < 3 && pending > 0; pass++) {
		for (int i = 0; i < n; i++) {
			if (js[i].fd < 0)
				continue;
			int user = js[i].nstype == CLONE_NEWUSER;
			if ((pass == 0 && user) || (pass == 1 && !user))
				continue;
			if (setns(js[i].fd, js[i].nstype) < 0) {
				if (pass < 2 && errno == EPERM)
					continue;
				bail("setns", js[i].path);
			}
			close(js[i].fd);
			js[i].fd = -1;
			pending--;
		}
	}
}

static void write_file(const char *path, const char *data)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		bail("open", path);
	if (write_all(fd, data, strlen(data)) < 0)
		bail("write", path);
	close(fd);
}

__attribute__((constructor)) static void gocontainer_nsexec(void)
{
	const char *env = getenv("_GOCONTAINER_INITPIPE");
	if (env == NULL || *env == '\0')
		return; // an ordinary gocontainer command, not a container init

	char *end;
	long fd = strtol(env, &end, 10);
	if (*end != '\0' || fd < 3)
		_exit(125);
	sync_fd = (int)fd;

	char *boot = recv_msg();
	if (boot == NULL) {
		// The parent went away before sending the bootstrap.
		_exit(1);
	}

	unsigned long flags = 0;
	struct join joins[MAX_JOIN];
	int njoins = 0;
	char timens[1024] = "";
	int joined_pidns = 0;

	for (char *save = NULL, *line = strtok_r(boot, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "flags ", 6) == 0) {
			flags = strtoul(line + 6, NULL, 16);
		} else if (strncmp(line, "join ", 5) == 0) {
			if (njoins == MAX_JOIN) {
				errno = E2BIG;
				bail("bootstrap", "too many namespace paths");
			}
			char *p;
			joins[njoins].nstype = (int)strtoul(line + 5, &p, 16);
			if (*p != ' ') {
				errno = EINVAL;
				bail("bootstrap", line);
			}
			joins[njoins].path = p + 1;
			joins[njoins].fd = -1;
			if (joins[njoins].nstype == CLONE_NEWPID)
				joined_pidns = 1;
			njoins++;
		} else if (strcmp(line, "nondumpable") == 0) {
			// exec joins a running container: from the first setns on,
			// its processes could ptrace this one (and take the runtime's
			// fds) unless it is non-dumpable. create has no such window
			// (nothing runs in its namespaces yet), and there the flag
			// would make /proc/self/timens_offsets unwritable in a new
			// user namespace.
			if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
				bail("prctl", "PR_SET_DUMPABLE");
		} else if (strncmp(line, "timens ", 7) == 0) {
			size_t used = strlen(timens);
			snprintf(timens + used, sizeof(timens) - used, "%s\n", line + 7);
		} else {
			errno = EINVAL;
			bail("bootstrap", line);
		}
	}

	join_namespaces(joins, njoins);

	if (flags & CLONE_NEWUSER) {
		if (unshare(CLONE_NEWUSER) < 0)
			bail("unshare", "user namespace");
		// The parent writes uid_map and gid_map (it may need newuidmap);
		// until then this process has no ids in the new namespace.
		if (send_msg("usermap") < 0)
			bail("send", "usermap request");
		char *ack = recv_msg();
		if (ack == NULL || strcmp(ack, "ok") != 0) {
			errno = ECANCELED;
			bail("wait", "uid/gid mappings");
		}
		free(ack);
		if (setresgid(0, 0, 0) < 0)
			bail("setresgid", "0");
		if (setresuid(0, 0, 0) < 0)
			bail("setresuid", "0");
	}

	unsigned long rest = flags & ~(unsigned long)CLONE_NEWUSER;
	if (rest != 0 && unshare((int)rest) < 0) {
		char what[32];
		snprintf(what, sizeof(what), "flags 0x%lx", rest);
		bail("unshare", what);
	}

	if (timens[0] != '\0') {
		if ((flags & CLONE_NEWTIME) == 0) {
			errno = EINVAL;
			bail("timens offsets", "without a new time namespace");
		}
		write_file("/proc/self/timens_offsets", timens);
	}

	if ((flags & (CLONE_NEWPID | CLONE_NEWTIME)) || joined_pidns) {
		pid_t child = fork();
		if (child < 0)
			bail("fork", "container init");
		if (child > 0) {
			if (send_msg("pid %d", (int)child) < 0) {
				kill(child, SIGKILL);
				_exit(1);
			}
			_exit(0);
		}
	} else if (send_msg("pid %d", (int)getpid()) < 0) {
		_exit(1);
	}

	// The container init starts a new session so it is not tied to the
	// caller's controlling terminal or job control.
	if (setsid() < 0)
		bail("setsid", NULL);
	free(boot);
	// Continue into the Go runtime, which finishes the init.
}
