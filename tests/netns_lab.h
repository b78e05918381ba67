/* netns_lab.h: the network-namespace lab in which the demo and the
 * end-to-end tests run the real srtpfwd binary against kernel peers.
 *
 *   ns A (leg side A's peer)           ns D: srtpfwd                    ns B
 *   10.201.0.2 fd01::2  <tag>ap ==veth== <tag>a: net_af_packet0
 *                                      <tag>b: net_af_packet1 ==veth== <tag>bp
 *                                                      10.202.0.2 fd02::2
 *
 * srtpfwd's own addresses on those links are 10.201.0.1/fd01::1 and
 * 10.202.0.1/fd02::1 (netns-lab.sh uses the same plan). Namespaces are named
 * "<tag>D<pid>", "<tag>A<pid>", "<tag>B<pid>", so runs never collide, and a
 * run killed outright leaves them to the next run (lab_up reaps namespaces,
 * EAL runtime directories and temporary directories whose process is
 * gone). The daemon is started in D with its output in a log file, and dies
 * with this process (PR_SET_PDEATHSIG).
 *
 * One lab per process: it is global so that exit and fatal-signal handlers
 * can take it down. Owned by the process that called lab_up(); its forked
 * children never tear it down.
 */
#ifndef SRTPFWD_NETNS_LAB_H
#define SRTPFWD_NETNS_LAB_H

#include <stdint.h>
#include <sys/types.h>

enum { LAB_D, LAB_A, LAB_B, LAB_NS };

struct netns_lab {
	char tag[8]; /* short: interface names are <tag>a, <tag>ap, ... */
	char ns[LAB_NS][32];
	char ifname[LAB_NS][16]; /* D: unused; A, B: the peer's end */
	char dev[2][16]; /* srtpfwd's ends in D, ports 0 and 1 */
	char dir[64]; /* temporary: control socket, config, daemon output */
	char sock[96]; /* control socket path */
	char log[128]; /* the daemon's stdout and stderr */
	char file_prefix[48]; /* EAL --file-prefix */
	char runtime[128]; /* EAL's runtime directory */
	volatile pid_t daemon;
	volatile pid_t child; /* another process of ours to kill with the lab */
	int self_ns; /* this process's network namespace */
	int ipv6; /* v6 addresses on the peers */
};

extern struct netns_lab LAB;

/** Addresses of the plan: srtpfwd's and the peers', per side (0: A, 1: B). */
extern const uint8_t LAB_LOCAL4[2][4], LAB_PEER4[2][4];
extern const uint8_t LAB_LOCAL6[2][16], LAB_PEER6[2][16];

/** Whether a lab can be tried here (root, "ip netns"): 0, or 77 after a
 * test's skip line on stdout ("skipped: needs root ..."). */
int lab_skip_if_unable(void);

/** Build the lab. @p ipv6: also give the peers IPv6 addresses (else IPv6
 * is disabled on the links, which keeps them silent).
 * @return 0, 77 (namespaces cannot be made: not root, no iproute2) or
 * another value on failure (with a message on stderr). */
int lab_up(const char *tag, int ipv6);
/** As lab_up(), for a test that runs the daemon in-process: this process
 * moves into a new network namespace of its own (unshare), which plays D
 * (LAB.ns[LAB_D] is "": lab_enter(LAB_D) is lab_leave()), and srtpfwd's
 * ends of the veths are there, so nothing is added to the root namespace.
 * Call before any other thread exists: threads keep their namespace.
 * @return as lab_up(); 77 also if unshare() fails. */
int lab_up_here(const char *tag, int ipv6);
/** Kill the daemon and the child, delete namespaces and files. Idempotent;
 * registered with atexit and for fatal signals by lab_up(). */
void lab_down(void);

/** Fail with a message rather than be killed silently: if this process
 * still runs after @p seconds, SIGALRM prints "<who>: watchdog: still
 * running after <seconds> s" on stderr, then tears the lab down and dies
 * of the signal. Call after lab_up(). */
void lab_watchdog(const char *who, unsigned int seconds);

/** Run this thread in namespace @p ns (LAB_*), and back. */
void lab_enter(unsigned int ns);
void lab_leave(void);

/** Run @p argv (argv[0]: the srtpfwd binary) in namespace D, output to
 * LAB.log. @return 0 or -1. */
int lab_daemon_start(char *const argv[]);
/** 1 while the daemon runs; 0 once it exited (its status in @p status). */
int lab_daemon_running(int *status);
/** SIGTERM, then wait up to @p ms. @return the wait status, or -1 if it
 * had to be killed. */
int lab_daemon_stop(unsigned int ms);
/** Print the last @p lines of the daemon's output to stderr. */
void lab_daemon_log_tail(unsigned int lines);

/** system() with a format. @return the exit status, or -1. */
int lab_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
uint64_t lab_now_ms(void);

#endif
