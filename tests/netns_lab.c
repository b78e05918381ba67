/* netns_lab.c: see netns_lab.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "netns_lab.h"

struct netns_lab LAB = {.self_ns = -1};

const uint8_t LAB_LOCAL4[2][4] = {{10, 201, 0, 1}, {10, 202, 0, 1}};
const uint8_t LAB_PEER4[2][4] = {{10, 201, 0, 2}, {10, 202, 0, 2}};
const uint8_t LAB_LOCAL6[2][16] = {{0xfd, 0x01, [15] = 1}, {0xfd, 0x02, [15] = 1}};
const uint8_t LAB_PEER6[2][16] = {{0xfd, 0x01, [15] = 2}, {0xfd, 0x02, [15] = 2}};

static pid_t owner; /* the process that built the lab */
static volatile sig_atomic_t lab_is_up;
static char watchdog_msg[160]; /* written by lab_watchdog() before alarm() */
static volatile size_t watchdog_len;

uint64_t
lab_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

int
lab_sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	r = system(cmd);
	return r == -1 || !WIFEXITED(r) ? -1 : WEXITSTATUS(r);
}

int
lab_skip_if_unable(void)
{
	if (geteuid() != 0) {
		printf("skipped: needs root (network namespaces, veths)\n");
		return 77;
	}
	if (lab_sh("ip netns list >/dev/null 2>&1") != 0) {
		printf("skipped: no \"ip netns\" (iproute2)\n");
		return 77;
	}
	return 0;
}

static void
kill_wait(volatile pid_t *pid)
{
	pid_t p = *pid;

	if (p > 0) {
		kill(p, SIGKILL);
		waitpid(p, NULL, 0);
		*pid = 0;
	}
}

/* The daemon and the child first (namespace D lives as long as srtpfwd
 * does), then the namespaces; deleting A and B deletes the veths. */
void
lab_down(void)
{
	if (getpid() != owner)
		return;
	kill_wait(&LAB.child);
	kill_wait(&LAB.daemon);
	if (lab_is_up) {
		lab_is_up = 0;
		lab_sh("for n in %s %s %s; do ip netns del $n 2>/dev/null; done", LAB.ns[LAB_A],
		       LAB.ns[LAB_B], LAB.ns[LAB_D]);
	}
	if (LAB.dir[0] != '\0') {
		lab_sh("rm -rf '%s'", LAB.dir);
		LAB.dir[0] = '\0';
	}
	if (LAB.runtime[0] != '\0')
		lab_sh("rm -rf '%s'", LAB.runtime);
}

/* Is @p name "<prefix><pid><rest>" with that process gone? */
static int
stale(const char *name, const char *prefix, char *rest, size_t rest_len)
{
	size_t pl = strlen(prefix);
	char *end;
	long pid;

	if (strncmp(name, prefix, pl) != 0 || name[pl] < '1' || name[pl] > '9')
		return 0;
	pid = strtol(name + pl, &end, 10);
	snprintf(rest, rest_len, "%s", end);
	return pid != getpid() && pid < (1L << 22) && kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

/* What runs killed outright left behind, once their process is gone. */
static void
reap_stale(const char *tag)
{
	static const char *const dirs[] = {"/var/run/netns", "/var/run/dpdk", "/tmp"};
	char pre_ns[3][16], pre_dir[32], rest[256];

	for (unsigned int k = 0; k < 3; k++)
		snprintf(pre_ns[k], sizeof(pre_ns[k]), "%s%c", tag, "DAB"[k]);
	snprintf(pre_dir, sizeof(pre_dir), "srtpfwd_%s", tag);
	for (unsigned int d = 0; d < 3; d++) {
		DIR *dir = opendir(dirs[d]);
		struct dirent *e;

		if (dir == NULL)
			continue;
		while ((e = readdir(dir)) != NULL) {
			if (d == 0) {
				for (unsigned int k = 0; k < 3; k++)
					if (stale(e->d_name, pre_ns[k], rest, sizeof(rest)) &&
					    rest[0] == '\0')
						lab_sh("ip netns del %s 2>/dev/null", e->d_name);
			} else if (stale(e->d_name, pre_dir, rest, sizeof(rest)) &&
				   (d == 1 ? rest[0] == '\0' : rest[0] == '.') &&
				   strchr(e->d_name, '\'') == NULL) {
				lab_sh("rm -rf '%s/%s'", dirs[d], e->d_name);
			}
		}
		closedir(dir);
	}
}

/* A fatal signal (meson's timeout is SIGTERM, Ctrl-C SIGINT) must leave
 * neither a daemon nor namespaces behind. */
static void
on_fatal(int sig)
{
	if (sig == SIGALRM && watchdog_len > 0 && write(2, watchdog_msg, watchdog_len) < 0) {
		/* nothing more to say it with */
	}
	lab_down();
	signal(sig, SIG_DFL);
	raise(sig);
}

void
lab_watchdog(const char *who, unsigned int seconds)
{
	snprintf(watchdog_msg, sizeof(watchdog_msg), "%s: watchdog: still running after %u s\n",
		 who, seconds);
	watchdog_len = strlen(watchdog_msg);
	alarm(seconds);
}

void
lab_enter(unsigned int ns)
{
	char path[96];
	int fd;

	if (LAB.ns[ns][0] == '\0') { /* D of lab_up_here(): this process's own */
		lab_leave();
		return;
	}
	snprintf(path, sizeof(path), "/var/run/netns/%s", LAB.ns[ns]);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
		perror(path);
		abort();
	}
	close(fd);
}

void
lab_leave(void)
{
	if (setns(LAB.self_ns, CLONE_NEWNET) != 0) {
		perror("setns back");
		abort();
	}
}

/* The peers' kernels leave UDP checksums to an offload a veth never
 * performs: off on their ends, so srtpfwd receives real checksums. */
static int
tx_csum_off(unsigned int ns, const char *ifname)
{
	struct ethtool_value ev = {.cmd = ETHTOOL_STXCSUM, .data = 0};
	struct ifreq ifr;
	int fd, r;

	lab_enter(ns);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (char *)&ev;
	r = ioctl(fd, SIOCETHTOOL, &ifr);
	if (r != 0)
		fprintf(stderr, "%s: ETHTOOL_STXCSUM: %s\n", ifname, strerror(errno));
	close(fd);
	lab_leave();
	return r;
}

/* @p here: srtpfwd's ends go into this process's own namespace, which
 * it first leaves the root namespace for (lab_up_here()). */
static int
lab_build(const char *tag, int ipv6, int here)
{
	static const int fatal[] = {SIGINT,  SIGTERM, SIGHUP, SIGQUIT, SIGABRT,
				    SIGSEGV, SIGBUS,  SIGFPE, SIGILL,  SIGALRM};
	char in_d[48], exec_d[64], rest[72];
	int pid = (int)getpid(), r;

	owner = getpid();
	snprintf(LAB.tag, sizeof(LAB.tag), "%s", tag);
	for (unsigned int k = 0; k < LAB_NS; k++)
		snprintf(LAB.ns[k], sizeof(LAB.ns[k]), "%s%c%d", tag, "DAB"[k], pid);
	if (here)
		LAB.ns[LAB_D][0] = '\0';
	snprintf(LAB.dev[0], sizeof(LAB.dev[0]), "%sa", tag);
	snprintf(LAB.dev[1], sizeof(LAB.dev[1]), "%sb", tag);
	snprintf(LAB.ifname[LAB_A], sizeof(LAB.ifname[0]), "%sap", tag);
	snprintf(LAB.ifname[LAB_B], sizeof(LAB.ifname[0]), "%sbp", tag);
	snprintf(LAB.file_prefix, sizeof(LAB.file_prefix), "srtpfwd_%s%d", tag, pid);
	LAB.ipv6 = ipv6;
	reap_stale(tag);
	if (here && unshare(CLONE_NEWNET) != 0) {
		fprintf(stderr, "lab: unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return 77;
	}
	LAB.self_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (LAB.self_ns < 0)
		return 77;
	snprintf(LAB.dir, sizeof(LAB.dir), "/tmp/srtpfwd_%s%d.XXXXXX", tag, pid);
	if (mkdtemp(LAB.dir) == NULL) {
		perror("mkdtemp");
		LAB.dir[0] = '\0';
		return 1;
	}
	snprintf(LAB.sock, sizeof(LAB.sock), "%s/ctl.sock", LAB.dir);
	snprintf(LAB.log, sizeof(LAB.log), "%s/srtpfwd.log", LAB.dir);
	atexit(lab_down);
	for (unsigned int k = 0; k < sizeof(fatal) / sizeof(fatal[0]); k++)
		signal(fatal[k], on_fatal);
	lab_is_up = 1;
	/* the first namespace made says whether namespaces can be made */
	if (lab_sh("ip netns add %s >/dev/null 2>&1", LAB.ns[here ? LAB_A : LAB_D]) != 0)
		return 77;
	snprintf(rest, sizeof(rest), "%s %s", here ? "" : LAB.ns[LAB_A], LAB.ns[LAB_B]);
	if (here) {
		snprintf(in_d, sizeof(in_d), "ip");
		exec_d[0] = '\0';
	} else {
		snprintf(in_d, sizeof(in_d), "ip -n %s", LAB.ns[LAB_D]);
		snprintf(exec_d, sizeof(exec_d), "ip netns exec %s", LAB.ns[LAB_D]);
	}
	/* srtpfwd's kernel side of the links stays silent (no IPv6); the
	 * peers have IPv6 only when asked, without duplicate detection so
	 * their addresses work at once. */
	r = lab_sh("set -e; exec >/dev/null 2>&1; "
		   "for n in %10$s; do ip netns add $n; done; "
		   "%1$s link add %4$s type veth peer name %6$s netns %2$s; "
		   "%1$s link add %5$s type veth peer name %7$s netns %3$s; "
		   "%9$s sysctl -qw net.ipv6.conf.%4$s.disable_ipv6=1 "
		   "net.ipv6.conf.%5$s.disable_ipv6=1; "
		   "ip netns exec %2$s sysctl -qw net.ipv6.conf.%6$s.disable_ipv6=%8$d; "
		   "ip netns exec %3$s sysctl -qw net.ipv6.conf.%7$s.disable_ipv6=%8$d; "
		   "%1$s link set %4$s up; %1$s link set %5$s up; "
		   "ip -n %2$s link set lo up; ip -n %2$s link set %6$s up; "
		   "ip -n %2$s addr add 10.201.0.2/24 dev %6$s; "
		   "ip -n %3$s link set lo up; ip -n %3$s link set %7$s up; "
		   "ip -n %3$s addr add 10.202.0.2/24 dev %7$s; "
		   "if [ %8$d = 0 ]; then "
		   "ip -n %2$s addr add fd01::2/64 dev %6$s nodad; "
		   "ip -n %3$s addr add fd02::2/64 dev %7$s nodad; fi",
		   in_d, LAB.ns[LAB_A], LAB.ns[LAB_B], LAB.dev[0], LAB.dev[1], LAB.ifname[LAB_A],
		   LAB.ifname[LAB_B], ipv6 ? 0 : 1, exec_d, rest);
	if (r != 0) {
		fprintf(stderr, "lab: could not build the namespaces and veths (ip: %d)\n", r);
		return r;
	}
	if (tx_csum_off(LAB_A, LAB.ifname[LAB_A]) != 0 ||
	    tx_csum_off(LAB_B, LAB.ifname[LAB_B]) != 0)
		return 1;
	snprintf(LAB.runtime, sizeof(LAB.runtime), "/var/run/dpdk/%s", LAB.file_prefix);
	return 0;
}

int
lab_up(const char *tag, int ipv6)
{
	return lab_build(tag, ipv6, 0);
}

int
lab_up_here(const char *tag, int ipv6)
{
	return lab_build(tag, ipv6, 1);
}

int
lab_daemon_start(char *const argv[])
{
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open(LAB.log, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(126);
		lab_enter(LAB_D);
		execv(argv[0], argv);
		perror(argv[0]);
		_exit(127);
	}
	LAB.daemon = pid;
	return 0;
}

int
lab_daemon_running(int *status)
{
	int st;

	if (LAB.daemon <= 0)
		return 0;
	if (waitpid(LAB.daemon, &st, WNOHANG) == LAB.daemon) {
		LAB.daemon = 0;
		if (status != NULL)
			*status = st;
		return 0;
	}
	return 1;
}

int
lab_daemon_stop(unsigned int ms)
{
	uint64_t end = lab_now_ms() + ms;
	int st = -1;

	if (LAB.daemon <= 0)
		return -1;
	kill(LAB.daemon, SIGTERM);
	while (lab_now_ms() < end) {
		if (!lab_daemon_running(&st))
			return st;
		usleep(20000);
	}
	fprintf(stderr, "srtpfwd still running %u ms after SIGTERM: killed\n", ms);
	kill_wait(&LAB.daemon);
	return -1;
}

void
lab_daemon_log_tail(unsigned int lines)
{
	lab_sh("tail -n %u '%s' >&2", lines, LAB.log);
}
