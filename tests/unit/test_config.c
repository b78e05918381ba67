/* test_config.c: the YAML configuration loader (control/config.c).
 *
 *   - a complete file: every key lands in the daemon's and the control
 *     server's structs;
 *   - defaults when keys are absent;
 *   - every kind of error, each with its exact "file:line:col: message";
 *   - a refused file leaves the output zeroed (nothing half-loaded);
 *   - docs/config.md documents exactly config.h's keys (env
 *     SRTPFWD_CONFIG_DOC: the document).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../test.h"

#include "control/config.h"

static char PATH[64];
static struct srtpfwd_config C;
static char ERR[512];

static int
load(const char *yaml)
{
	FILE *f = fopen(PATH, "w");

	if (f == NULL)
		abort();
	fputs(yaml, f);
	fclose(f);
	ERR[0] = '\0';
	return config_load(PATH, &C, ERR, sizeof(ERR));
}

static const char *const MINIMAL = "ports:\n"
				   "  - dev: net_null0\n"
				   "addresses:\n"
				   "  - port: 0\n"
				   "    ip: 192.0.2.1/24\n";

TEST(complete_file)
{
	struct ctl_server_config ctl;

	REQUIRE(load("eal: [--no-huge, -l, \"0,1\"]\n"
		     "ports:\n"
		     "  - name: core\n"
		     "    dev: 0000:01:00.0\n"
		     "  - name: access\n"
		     "    dev: net_af_packet0,iface=veth0\n"
		     "queues: {rx_desc: 2048, tx_desc: 512}\n"
		     "addresses:\n"
		     "  - port: access\n"
		     "    ip: 2001:db8::1/64\n"
		     "    gateway: 2001:db8::fe\n"
		     "    vlan: 100\n"
		     "  - port: 0\n"
		     "    ip: 198.51.100.1/24\n"
		     "media_ports: 30000-39999\n"
		     "workers: 2\n"
		     "mbufs: 65536\n"
		     "limits:\n"
		     "  sessions: 50000\n"
		     "  neighbours: 1024\n"
		     "  clients: 8\n"
		     "control:\n"
		     "  unix: /run/srtpfwd/ctl.sock\n"
		     "  unix_mode: \"0600\"\n"
		     "  idle_timeout_s: 60\n"
		     "  tls:\n"
		     "    listen: \"[::1]:7443\"\n"
		     "    ca: /etc/srtpfwd/ca.pem\n"
		     "    cert: /etc/srtpfwd/server.pem\n"
		     "    key: /etc/srtpfwd/server.key\n"
		     "    allow: [sip1.example, sip2.example]\n"
		     "stats_interval_s: 0\n"
		     "log: {level: debug}\n") == 0);
	CHECK_EQ(C.n_eal, 3);
	CHECK(strcmp(C.eal[2], "0,1") == 0);
	CHECK_EQ(C.daemon.n_ports, 2);
	CHECK(strcmp(C.daemon.ports[1].dev, "net_af_packet0,iface=veth0") == 0);
	CHECK(strcmp(C.port_name[0], "core") == 0);
	CHECK_EQ(C.daemon.rx_desc, 2048);
	CHECK_EQ(C.daemon.tx_desc, 512);
	CHECK_EQ(C.daemon.n_addrs, 2);
	CHECK_EQ(C.daemon.addrs[0].port, 1);
	CHECK_EQ(C.daemon.addrs[0].ip6, 1);
	CHECK_EQ(C.daemon.addrs[0].vlan, 100);
	CHECK_EQ(C.daemon.addrs[0].route.prefix_len, 64);
	CHECK_EQ(C.daemon.addrs[0].route.has_gw, 1);
	CHECK_EQ(C.daemon.addrs[0].route.gw[15], 0xfe);
	CHECK_EQ(C.daemon.addrs[1].port, 0);
	CHECK_EQ(C.daemon.addrs[1].addr[0], 198);
	CHECK_EQ(C.daemon.addrs[1].route.has_gw, 0);
	CHECK_EQ(C.daemon.port_min, 30000);
	CHECK_EQ(C.daemon.port_max, 39999);
	CHECK_EQ(C.daemon.max_workers, 2);
	CHECK_EQ(C.daemon.mbufs, 65536);
	CHECK_EQ(C.daemon.max_sessions, 50000);
	CHECK_EQ(C.daemon.max_neighbours, 1024);
	CHECK_EQ(C.stats_s, 0);
	CHECK_EQ(C.log_level, 8);
	CHECK_EQ(config_ctl(&C, &ctl), 1);
	CHECK(strcmp(ctl.unix_path, "/run/srtpfwd/ctl.sock") == 0);
	CHECK_EQ(ctl.unix_mode, 0600);
	CHECK(strcmp(ctl.tls_listen, "[::1]:7443") == 0);
	CHECK(strcmp(ctl.tls.key_file, "/etc/srtpfwd/server.key") == 0);
	CHECK_EQ(ctl.tls.n_allowed, 2);
	CHECK(strcmp(ctl.tls.allowed_names[1], "sip2.example") == 0);
	CHECK_EQ(ctl.max_clients, 8);
	CHECK_EQ(ctl.idle_ms, 60000);
}

TEST(defaults)
{
	struct ctl_server_config ctl;

	REQUIRE(load(MINIMAL) == 0);
	CHECK_EQ(C.n_eal, 0);
	CHECK(strcmp(C.port_name[0], "port0") == 0);
	CHECK_EQ(C.daemon.port_min, 16384);
	CHECK_EQ(C.daemon.port_max, 32767);
	CHECK_EQ(C.daemon.max_sessions, 10000);
	CHECK_EQ(C.daemon.rx_desc, 0); /* the daemon's own default */
	CHECK_EQ(C.stats_s, 10);
	CHECK_EQ(C.log_level, 7);
	CHECK_EQ(config_ctl(&C, &ctl), 0);
	CHECK(ctl.unix_path == NULL && ctl.tls_listen == NULL);
}

/* Each bad file and the exact message (after "PATH:"). */
static const struct {
	const char *yaml, *err;
} BAD[] = {
	{"ports: [\n", "2:1: did not find expected node content"},
	{"", "1:1: the file is empty"},
	{"- a\n", "1:1: the document: expected a mapping, found a list"},
	{"port: 1\n", "1:1: unknown key 'port'"},
	{"ports:\n  - dev: x\n    speed: 10\n", "3:5: unknown key 'ports[].speed'"},
	{"ports:\n  - dev: x\n    dev: y\n", "3:5: 'ports[].dev' given twice"},
	{"ports: net_null0\n", "1:8: ports: expected a list, found a value"},
	{"ports:\n  - dev: [a]\n", "2:10: ports[].dev: expected a value, found a list"},
	{"ports:\n  - name: a\n", "1:1: ports[0]: 'dev' is required"},
	{"ports:\n  - dev: a\n", "1:1: 'addresses' is required: at least one address"},
	{"addresses:\n  - ip: 10.0.0.1/8\n    port: 0\n",
	 "1:1: 'ports' is required: at least one port"},
	{"ports:\n  - {dev: a, name: x}\n  - {dev: b, name: x}\naddresses:\n  - {port: 0, ip: "
	 "10.0.0.1/8}\n",
	 "1:1: ports[1]: name 'x' is also ports[0]'s"},
	{"ports:\n  - dev: a\naddresses:\n  - port: uplink\n    ip: 10.0.0.1/8\n",
	 "4:11: addresses[0].port: 'uplink' is neither a port name nor an index below 1"},
	{"ports:\n  - dev: a\naddresses:\n  - port: 0\n    ip: 10.0.0.1\n",
	 "5:9: addresses[].ip: '10.0.0.1' needs a prefix length (IP/PREFIX)"},
	{"ports:\n  - dev: a\naddresses:\n  - port: 0\n    ip: 10.0.0.300/8\n",
	 "5:9: addresses[].ip: '10.0.0.300' is not an IPv4 or IPv6 address"},
	{"ports:\n  - dev: a\naddresses:\n  - port: 0\n    ip: 10.0.0.1/33\n",
	 "5:9: addresses[].ip: prefix '33', need 0..32"},
	{"ports:\n  - dev: a\naddresses:\n  - port: 0\n    ip: 10.0.0.1/8\n    gateway: fd00::1\n",
	 "1:1: addresses[0]: gateway and ip are of different families"},
	{"ports:\n  - dev: a\naddresses:\n  - port: 0\n    ip: 10.0.0.1/8\n    vlan: 4095\n",
	 "6:11: addresses[].vlan: '4095' is not an integer in 1..4094"},
	{"ports:\n  - dev: a\naddresses:\n  - port: 0\n", "1:1: addresses[0]: 'ip' is required"},
	{"media_ports: 3000-2000\n",
	 "1:14: media_ports: '3000-2000': need MIN-MAX, 1 <= MIN < MAX <= 65535"},
	{"media_ports: 1000-2000x\n",
	 "1:14: media_ports: '1000-2000x': need MIN-MAX, 1 <= MIN < MAX <= 65535"},
	{"limits:\n  sessions: -1\n",
	 "2:13: limits.sessions: '-1' is not an integer in 1..1073741823"},
	{"limits:\n  sessions: 99999999999999999999\n",
	 "2:13: limits.sessions: '99999999999999999999' is not an integer in 1..1073741823"},
	{"limits:\n  sesions: 10\n", "2:3: unknown key 'limits.sesions'"},
	{"limits: 10\n", "1:9: limits.: expected a mapping, found a value"},
	{"workers: two\n", "1:10: workers: 'two' is not an integer in 0..64"},
	{"queues: {rx_desc: 32}\n", "1:19: queues.rx_desc: '32' is not an integer in 64..16384"},
	{"control: {unix_mode: \"0066\"}\n", "1:22: control.unix_mode: '0066': need an octal mode "
					     "up to 0777 that lets the owner read and write"},
	{"log: {level: loud}\n", "1:14: log.level: 'loud': need one of emerg, alert, crit, error, "
				 "warning, notice, info, debug"},
	{"eal: [--no-huge, [x]]\n", "1:18: eal: expected a value, found a list"},
	{"control:\n  tls:\n    allow: [a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q]\n",
	 "3:61: control.tls.allow: at most 16 entries"},
	{"ports:\n  - dev: a\naddresses:\n  - {port: 0, ip: 10.0.0.1/8}\ncontrol:\n  tls:\n    "
	 "listen: 0.0.0.0:7443\n",
	 "1:1: control.tls: 'listen' needs 'ca', 'cert' and 'key' (there is no plaintext TCP)"},
	{"ports:\n  - dev: a\naddresses:\n  - {port: 0, ip: 10.0.0.1/8}\ncontrol:\n  tls:\n    ca: "
	 "/x\n",
	 "1:1: control.tls: 'ca', 'cert', 'key' and 'allow' need 'listen'"},
	{"stats_interval_s: \"\"\n", "1:19: stats_interval_s: '' is not an integer in 0..86400"},
};

TEST(errors_name_line_column_and_what)
{
	char want[600];

	for (unsigned int i = 0; i < sizeof(BAD) / sizeof(BAD[0]); i++) {
		int r = load(BAD[i].yaml);

		snprintf(want, sizeof(want), "%s:%s", PATH, BAD[i].err);
		CHECK_EQ(r, -1);
		if (strcmp(ERR, want) != 0) {
			fprintf(stderr, "case %u:\n  got  %s\n  want %s\n", i, ERR, want);
			test_failed_checks++;
		}
		test_checks++;
		/* nothing half-loaded */
		CHECK_EQ(C.daemon.n_ports, 0);
		CHECK_EQ(C.daemon.max_sessions, 0);
	}
	CHECK_EQ(config_load("/nonexistent/srtpfwd.yaml", &C, ERR, sizeof(ERR)), -1);
	CHECK(strcmp(ERR, "/nonexistent/srtpfwd.yaml: No such file or directory") == 0);
}

/* docs/config.md has a row "| `key` | type | default | ..." for every key,
 * and no row for a key the loader does not know. */
TEST(document_matches_keys)
{
	const char *doc = getenv("SRTPFWD_CONFIG_DOC");
	static char text[65536];
	size_t n;
	FILE *f;

	REQUIRE(doc != NULL);
	f = fopen(doc, "r");
	REQUIRE(f != NULL);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	for (unsigned int i = 0; i < config_n_keys; i++) {
		char row[128];

		snprintf(row, sizeof(row), "| `%s` |", config_keys[i].path);
		if (strstr(text, row) == NULL) {
			fprintf(stderr, "docs/config.md lacks a row for %s\n", config_keys[i].path);
			test_failed_checks++;
		}
		test_checks++;
	}
	for (const char *p = strstr(text, "\n| `"); p != NULL; p = strstr(p + 1, "\n| `")) {
		char key[128];
		unsigned int i;

		if (sscanf(p, "\n| `%127[^`]`", key) != 1)
			continue;
		for (i = 0; i < config_n_keys && strcmp(config_keys[i].path, key) != 0; i++)
			;
		if (i == config_n_keys) {
			fprintf(stderr, "docs/config.md documents an unknown key %s\n", key);
			test_failed_checks++;
		}
		test_checks++;
	}
	/* and its example loads */
	{
		const char *b = strstr(text, "```yaml\n"), *e;

		REQUIRE(b != NULL);
		b += 8;
		e = strstr(b, "```");
		REQUIRE(e != NULL);
		text[e - text] = '\0';
		CHECK_EQ(load(b), 0);
		CHECK_EQ(C.daemon.n_addrs, 3);
	}
}

int
main(void)
{
	int bad;

	snprintf(PATH, sizeof(PATH), "/tmp/srtpfwd-test-config.%d.yaml", (int)getpid());
	bad = test_run_all();
	unlink(PATH);
	return bad;
}
