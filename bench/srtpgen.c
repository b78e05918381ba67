/* srtpgen.c: SRTP/RTP traffic for srtpfwd, for pktgen-dpdk or by itself.
 *
 *   srtpgen pcap [OPTIONS] --out PREFIX
 *       PREFIX.pcap      side 0's peers -> srtpfwd (leg 0), --packets per session
 *       PREFIX-rev.pcap  side 1's peers -> srtpfwd (leg 1), the reverse direction
 *       PREFIX.ctl       the srtpfwd-ctl script creating exactly those sessions
 *                        with the same keys (mode 0600): srtpfwd-ctl -f PREFIX.ctl
 *   srtpgen gen [EAL OPTIONS] -- [OPTIONS] --ctl SOCKET --rate PPS[,PPS...]
 *       creates the sessions over srtpfwd's control socket, sends them
 *       through DPDK port 0 into srtpfwd at each rate, receives what srtpfwd
 *       forwards on port 1, and reports throughput, loss, latency, and how
 *       many packets decrypted (or matched) as sent; deletes the sessions.
 *
 * Keys are random (getrandom), one per leg and direction, and are written
 * to the script only; nothing printed carries a key. The sessions, frames
 * and payload layout are described in srtpgen.h.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "srtpgen.h"
#include "srtpgen_gen.h"

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: srtpgen pcap [OPTIONS] --out PREFIX [--no-rev]\n"
		"       srtpgen gen [EAL OPTIONS] -- [OPTIONS] --ctl SOCKET [--rate PPS[,PPS...]]\n"
		"                   [--duration S] [--warmup-ms MS] [--keep] [--dir 0|1]\n"
		"       srtpgen gen [EAL OPTIONS] -- --script PREFIX.ctl --pcap PREFIX.pcap [--ip "
		"6]\n"
		"                   [--rate PPS] [--dir 0|1]   replay a pcap into sessions that\n"
		"                   srtpfwd-ctl -f PREFIX.ctl made, and check what comes out\n"
		"gen: DPDK port 0 faces srtpfwd's leg 0, port 1 leg 1; --dir 1 sends on port 1\n"
		"     (the -rev.pcap). Defaults: --rate 1000 --duration 2 --warmup-ms 2000\n"
		"options (defaults: the lab of drivers-config/netns-lab.sh and af_packet.yaml):\n"
		"  --suite S          leg 0's suite, or plain (AES_CM_128_HMAC_SHA1_80); any of\n"
		"                     AES_CM_128_HMAC_SHA1_80/_32, AES_256_CM_HMAC_SHA1_80/_32,\n"
		"                     AEAD_AES_128_GCM, AEAD_AES_256_GCM, NULL_HMAC_SHA1_80\n"
		"  --out-suite S      leg 1's suite, or plain (the same as --suite)\n"
		"  --sessions N       sessions (1)           --size B     RTP payload bytes (160)\n"
		"  --ptime MS         packet interval (20)   --clock HZ   RTP clock (8000)\n"
		"  --pt N             RTP payload type (0)   --packets N  per session, pcap (50)\n"
		"  --ip 4|6           (4)\n"
		"  --peer0 IP --local0 IP --addr0 I   side 0: peer, srtpfwd's address and its\n"
		"                     index in srtpfwd's address list (10.201.0.2 10.201.0.1 0;\n"
		"                     IPv6: fd01::2 fd01::1 1)\n"
		"  --peer1 IP --local1 IP --addr1 I   side 1 (10.202.0.2 10.202.0.1 2;\n"
		"                     IPv6: fd02::2 fd02::1 3)\n"
		"  --peer0-mac M --fwd0-mac M --peer1-mac M --fwd1-mac M\n"
		"                     Ethernet source (peer) and destination (srtpfwd's port)\n"
		"                     of each side's frames (gen: found by ARP/ND if not given)\n"
		"  --local-port P     srtpfwd's port of session 0 on both legs, + 2 a session "
		"(20000)\n"
		"  --peer-port P      the peers' port of session 0, + 2 a session (30000)\n"
		"  --ssrc X           first SSRC (0x5e000000; side 1 sends + 0x100000)\n"
		"  --id N             first session id (1)   --timeout MS session timeout (0)\n");
}

static int
parse_uint(const char *name, const char *s, uint64_t max, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	if (*s == '\0' || *s == '-' || *end != '\0' || errno != 0 || *v > max) {
		fprintf(stderr, "srtpgen: --%s '%s': expected a number up to %" PRIu64 "\n", name,
			s, max);
		return -1;
	}
	return 0;
}

enum {
	O_SUITE = 256,
	O_OUT_SUITE,
	O_SESSIONS,
	O_SIZE,
	O_PTIME,
	O_CLOCK,
	O_PT,
	O_PACKETS,
	O_IP,
	O_PEER0,
	O_LOCAL0,
	O_ADDR0,
	O_PEER1,
	O_LOCAL1,
	O_ADDR1,
	O_PEER0_MAC,
	O_FWD0_MAC,
	O_PEER1_MAC,
	O_FWD1_MAC,
	O_LOCAL_PORT,
	O_PEER_PORT,
	O_SSRC,
	O_ID,
	O_TIMEOUT,
	O_OUT,
	O_NO_REV,
	O_CTL,
	O_RATE,
	O_DURATION,
	O_WARMUP,
	O_KEEP,
	O_SCRIPT,
	O_PCAP,
	O_DIR,
	O_HELP,
};

static const struct option OPTS[] = {
	{"suite", required_argument, NULL, O_SUITE},
	{"out-suite", required_argument, NULL, O_OUT_SUITE},
	{"sessions", required_argument, NULL, O_SESSIONS},
	{"size", required_argument, NULL, O_SIZE},
	{"ptime", required_argument, NULL, O_PTIME},
	{"clock", required_argument, NULL, O_CLOCK},
	{"pt", required_argument, NULL, O_PT},
	{"packets", required_argument, NULL, O_PACKETS},
	{"ip", required_argument, NULL, O_IP},
	{"peer0", required_argument, NULL, O_PEER0},
	{"local0", required_argument, NULL, O_LOCAL0},
	{"addr0", required_argument, NULL, O_ADDR0},
	{"peer1", required_argument, NULL, O_PEER1},
	{"local1", required_argument, NULL, O_LOCAL1},
	{"addr1", required_argument, NULL, O_ADDR1},
	{"peer0-mac", required_argument, NULL, O_PEER0_MAC},
	{"fwd0-mac", required_argument, NULL, O_FWD0_MAC},
	{"peer1-mac", required_argument, NULL, O_PEER1_MAC},
	{"fwd1-mac", required_argument, NULL, O_FWD1_MAC},
	{"local-port", required_argument, NULL, O_LOCAL_PORT},
	{"peer-port", required_argument, NULL, O_PEER_PORT},
	{"ssrc", required_argument, NULL, O_SSRC},
	{"id", required_argument, NULL, O_ID},
	{"timeout", required_argument, NULL, O_TIMEOUT},
	{"out", required_argument, NULL, O_OUT},
	{"no-rev", no_argument, NULL, O_NO_REV},
	{"ctl", required_argument, NULL, O_CTL},
	{"rate", required_argument, NULL, O_RATE},
	{"duration", required_argument, NULL, O_DURATION},
	{"warmup-ms", required_argument, NULL, O_WARMUP},
	{"keep", no_argument, NULL, O_KEEP},
	{"script", required_argument, NULL, O_SCRIPT},
	{"pcap", required_argument, NULL, O_PCAP},
	{"dir", required_argument, NULL, O_DIR},
	{"help", no_argument, NULL, O_HELP},
	{NULL, 0, NULL, 0},
};

struct args {
	struct gen_opts o;
	struct gen_run_opts r;
	const char *out;
	int no_rev;
	const char *addr[2][2]; /* [side][peer, local]: parsed once --ip is known */
	int mac_given[2][2]; /* [side][peer, fwd] */
};

static int
parse_rates(const char *s, struct gen_run_opts *r)
{
	r->n_rates = 0;
	while (*s != '\0') {
		char *end;
		unsigned long long v;

		errno = 0;
		v = strtoull(s, &end, 10);
		if (end == s || errno != 0 || v == 0 || v > 100000000 ||
		    (*end != ',' && *end != '\0') || r->n_rates == GEN_RATES_MAX) {
			fprintf(stderr,
				"srtpgen: --rate: expected up to %d rates in packets/s, 1..1e8, "
				"comma-separated\n",
				GEN_RATES_MAX);
			return -1;
		}
		r->rates[r->n_rates++] = (uint32_t)v;
		s = *end == ',' ? end + 1 : end;
	}
	return r->n_rates > 0 ? 0 : -1;
}

static int
parse_opts(int argc, char **argv, struct args *a)
{
	uint64_t v;
	int c, s;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", OPTS, NULL)) != -1) {
		const char *name = c >= O_SUITE && c <= O_HELP ? OPTS[c - O_SUITE].name : "?";

		switch (c) {
		case O_SUITE:
		case O_OUT_SUITE:
			s = gen_parse_suite(optarg);
			if (s == -2) {
				fprintf(stderr, "srtpgen: --%s '%s': unknown suite\n", name,
					optarg);
				return -1;
			}
			if (c == O_SUITE)
				a->o.suite[0] = a->o.suite[1] = s;
			else
				a->o.suite[1] = s;
			break;
		case O_SESSIONS:
		case O_SIZE:
		case O_PTIME:
		case O_CLOCK:
		case O_PT:
		case O_PACKETS:
		case O_ADDR0:
		case O_ADDR1:
		case O_LOCAL_PORT:
		case O_PEER_PORT:
		case O_SSRC:
		case O_TIMEOUT:
		case O_DURATION:
		case O_WARMUP:
			if (parse_uint(name, optarg, UINT32_MAX, &v) != 0)
				return -1;
			switch (c) {
			case O_SESSIONS: a->o.sessions = (unsigned int)v; break;
			case O_SIZE: a->o.size = (unsigned int)v; break;
			case O_PTIME: a->o.ptime_ms = (unsigned int)v; break;
			case O_CLOCK: a->o.clock_hz = (unsigned int)v; break;
			case O_PT: a->o.pt = (unsigned int)v; break;
			case O_PACKETS: a->o.packets = (unsigned int)v; break;
			case O_ADDR0: a->o.addr_index[0] = (unsigned int)v; break;
			case O_ADDR1: a->o.addr_index[1] = (unsigned int)v; break;
			case O_LOCAL_PORT:
			case O_PEER_PORT:
				if (v == 0 || v > 65535) {
					fprintf(stderr, "srtpgen: --%s %s: need 1..65535\n", name,
						optarg);
					return -1;
				}
				if (c == O_LOCAL_PORT)
					a->o.local_port = (uint16_t)v;
				else
					a->o.peer_port = (uint16_t)v;
				break;
			case O_SSRC: a->o.ssrc = (uint32_t)v; break;
			case O_TIMEOUT: a->o.timeout_ms = (unsigned int)v; break;
			case O_DURATION: a->r.duration_ms = (unsigned int)(v * 1000); break;
			case O_WARMUP: a->r.warmup_ms = (unsigned int)v; break;
			}
			break;
		case O_IP:
			if (strcmp(optarg, "4") != 0 && strcmp(optarg, "6") != 0) {
				fprintf(stderr, "srtpgen: --ip '%s': expected 4 or 6\n", optarg);
				return -1;
			}
			gen_opts_lab_addrs(&a->o, optarg[0] == '6');
			break;
		case O_PEER0: a->addr[0][0] = optarg; break;
		case O_LOCAL0: a->addr[0][1] = optarg; break;
		case O_PEER1: a->addr[1][0] = optarg; break;
		case O_LOCAL1: a->addr[1][1] = optarg; break;
		case O_PEER0_MAC:
		case O_FWD0_MAC:
		case O_PEER1_MAC:
		case O_FWD1_MAC: {
			unsigned int side = c == O_PEER1_MAC || c == O_FWD1_MAC;
			unsigned int fwd = c == O_FWD0_MAC || c == O_FWD1_MAC;

			if (gen_parse_mac(optarg, fwd ? a->o.fwd_mac[side] : a->o.peer_mac[side]) !=
			    0) {
				fprintf(stderr, "srtpgen: --%s '%s': expected aa:bb:cc:dd:ee:ff\n",
					name, optarg);
				return -1;
			}
			a->mac_given[side][fwd] = 1;
			break;
		}
		case O_ID:
			if (parse_uint(name, optarg, UINT64_MAX / 2, &v) != 0)
				return -1;
			a->o.id = v;
			break;
		case O_OUT: a->out = optarg; break;
		case O_NO_REV: a->no_rev = 1; break;
		case O_CTL: a->r.ctl = optarg; break;
		case O_RATE:
			if (parse_rates(optarg, &a->r) != 0)
				return -1;
			break;
		case O_KEEP: a->r.keep = 1; break;
		case O_SCRIPT: a->r.script = optarg; break;
		case O_PCAP: a->r.pcap = optarg; break;
		case O_DIR:
			if (strcmp(optarg, "0") != 0 && strcmp(optarg, "1") != 0) {
				fprintf(stderr, "srtpgen: --dir '%s': expected 0 or 1\n", optarg);
				return -1;
			}
			a->r.dir = (unsigned int)(optarg[0] - '0');
			break;
		case O_HELP: usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "srtpgen: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	for (unsigned int side = 0; side < 2; side++)
		for (unsigned int k = 0; k < 2; k++)
			if (a->addr[side][k] != NULL &&
			    gen_parse_ip(a->addr[side][k], a->o.ip6,
					 k == 0 ? a->o.peer[side] : a->o.local[side]) != 0) {
				fprintf(stderr, "srtpgen: --%s%u '%s': not an IPv%d address\n",
					k == 0 ? "peer" : "local", side, a->addr[side][k],
					a->o.ip6 ? 6 : 4);
				return -1;
			}
	return 0;
}

/* Every session's packets of one direction, in time order: packet k of
 * session i at k * ptime + i * ptime / sessions. */
static int
write_pcap(const char *path, const struct gen_opts *o, struct gen_session *s, unsigned int dir,
	   uint64_t *bytes)
{
	static uint8_t frame[GEN_FRAME_MAX];
	const uint64_t ptime_us = (uint64_t)o->ptime_ms * 1000;
	char err[256];
	FILE *f = gen_pcap_open(path, err, sizeof(err));

	if (f == NULL) {
		fprintf(stderr, "srtpgen: %s\n", err);
		return -1;
	}
	*bytes = 0;
	for (uint32_t k = 0; k < o->packets; k++)
		for (uint32_t i = 0; i < o->sessions; i++) {
			unsigned int len = gen_frame(o, &s[i], dir, 0, frame, err, sizeof(err));

			if (len == 0 || gen_pcap_write(f, k * ptime_us + i * ptime_us / o->sessions,
						       frame, len) != 0) {
				fprintf(stderr, "srtpgen: %s: %s\n", path,
					len == 0 ? err : "write failed");
				fclose(f);
				return -1;
			}
			*bytes = len;
		}
	if (fclose(f) != 0) {
		fprintf(stderr, "srtpgen: %s: write failed\n", path);
		return -1;
	}
	return 0;
}

static int
run_pcap(struct args *a)
{
	char path[3][1024], err[256], comment[2400];
	struct gen_session *s;
	uint64_t frame_len[2] = {0, 0};
	int rc = 0;

	if (a->out == NULL) {
		fprintf(stderr, "srtpgen pcap: --out PREFIX is required\n");
		return 2;
	}
	if (strlen(a->out) > 1000) {
		fprintf(stderr, "srtpgen pcap: --out: longer than 1000 bytes\n");
		return 2;
	}
	if (a->o.packets == 0) {
		fprintf(stderr, "srtpgen pcap: --packets must be at least 1\n");
		return 2;
	}
	if ((uint64_t)a->o.packets * a->o.sessions > 100000000ull) {
		fprintf(stderr, "srtpgen pcap: %u packets x %u sessions: over 1e8 frames\n",
			a->o.packets, a->o.sessions);
		return 2;
	}
	snprintf(path[0], sizeof(path[0]), "%s.pcap", a->out);
	snprintf(path[1], sizeof(path[1]), "%s-rev.pcap", a->out);
	snprintf(path[2], sizeof(path[2]), "%s.ctl", a->out);
	s = gen_sessions_new(&a->o, err, sizeof(err));
	if (s == NULL) {
		fprintf(stderr, "srtpgen: %s\n", err);
		return 1;
	}
	snprintf(comment, sizeof(comment),
		 "leg0 %s, leg1 %s, IPv%d, %u B payload, ptime %u ms; pcaps %s, %s",
		 gen_suite_name(a->o.suite[0]), gen_suite_name(a->o.suite[1]), a->o.ip6 ? 6 : 4,
		 a->o.size, a->o.ptime_ms, path[0], a->no_rev ? "(no reverse)" : path[1]);
	if (gen_write_script(path[2], &a->o, s, comment, err, sizeof(err)) != 0) {
		fprintf(stderr, "srtpgen: %s\n", err);
		rc = 1;
	}
	for (unsigned int d = 0; d < (a->no_rev ? 1u : 2u) && rc == 0; d++)
		if (write_pcap(path[d], &a->o, s, d, &frame_len[d]) != 0)
			rc = 1;
	gen_sessions_free(&a->o, s);
	if (rc != 0)
		return rc;
	printf("srtpgen pcap: %u sessions x %u packets, leg0 %s, leg1 %s, IPv%d, payload %u B\n",
	       a->o.sessions, a->o.packets, gen_suite_name(a->o.suite[0]),
	       gen_suite_name(a->o.suite[1]), a->o.ip6 ? 6 : 4, a->o.size);
	printf("  %s  (%" PRIu64 "-byte frames, side 0 -> leg 0)\n", path[0], frame_len[0]);
	if (!a->no_rev)
		printf("  %s  (%" PRIu64 "-byte frames, side 1 -> leg 1)\n", path[1], frame_len[1]);
	printf("  %s  (srtpfwd-ctl -s SOCKET -f %s; mode 0600, holds the keys)\n", path[2],
	       path[2]);
	return 0;
}

int
main(int argc, char **argv)
{
	static struct args a;
	char err[256];
	int sep = -1;

	gen_opts_default(&a.o);
	a.r.duration_ms = 2000;
	a.r.warmup_ms = 2000;
	a.r.rates[0] = 1000;
	a.r.n_rates = 1;
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "pcap") == 0) {
		if (parse_opts(argc - 1, argv + 1, &a) != 0)
			return 2;
	} else if (strcmp(argv[1], "gen") == 0) {
		for (int k = 2; k < argc; k++)
			if (strcmp(argv[k], "--") == 0) {
				sep = k;
				break;
			}
		if (sep < 0) {
			fprintf(stderr, "srtpgen gen: expected EAL options, then -- and srtpgen's "
					"options\n");
			return 2;
		}
		/* argv[sep] stands in for the program name */
		if (parse_opts(argc - sep, argv + sep, &a) != 0)
			return 2;
	} else {
		fprintf(stderr, "srtpgen: unknown mode '%s' (pcap or gen)\n", argv[1]);
		usage(stderr);
		return 2;
	}
	if (gen_opts_check(&a.o, err, sizeof(err)) != 0) {
		fprintf(stderr, "srtpgen: %s\n", err);
		return 2;
	}
	if (sep < 0)
		return run_pcap(&a);
	if (a.r.pcap != NULL && (a.r.script == NULL || a.r.n_rates != 1)) {
		fprintf(stderr, "srtpgen gen: --pcap needs --script (its sessions' keys) and one "
				"--rate (each frame is sent once)\n");
		return 2;
	}
	if (a.r.script != NULL && a.r.ctl != NULL) {
		fprintf(stderr, "srtpgen gen: --script sessions are made by srtpfwd-ctl -f, not "
				"over --ctl\n");
		return 2;
	}
	for (unsigned int side = 0; side < 2; side++) {
		a.r.fwd_mac_given[side] = a.mac_given[side][1];
		a.r.peer_mac_given[side] = a.mac_given[side][0];
	}
	/* EAL gets the program name and what came before "--" */
	argv[1] = argv[0];
	return gen_run(&a.o, &a.r, sep - 1, argv + 1);
}
