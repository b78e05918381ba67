/* test_metrics.c: the Prometheus endpoint's pure parts (control/metrics.c).
 *
 *   - metrics_http_parse(): each verdict on hand-written request heads
 *     (good, incomplete, malformed, wrong method, path, version, oversize,
 *     control bytes, folded headers);
 *   - 200,000 random heads built from HTTP-ish pieces and raw bytes, each
 *     judged inside a buffer that ends at a guard page (ASan catches any
 *     read past it): a known verdict, every strict prefix of a complete
 *     head is INCOMPLETE or the same verdict, and bytes after the head do
 *     not change it;
 *   - metrics_render(): the text exposition format 0.0.4 of a known
 *     counter set, line by line: one HELP and one TYPE per family, before
 *     its samples, families never split, values and labels exact.
 */
#include <sys/mman.h>
#include <unistd.h>

#include "../test.h"

#include "control/ctl_stats.h"
#include "control/metrics.h"

static enum metrics_verdict
parse(const char *s)
{
	return metrics_http_parse(s, strlen(s));
}

TEST(verdicts)
{
	CHECK_EQ(parse("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"), METRICS_OK);
	CHECK_EQ(parse("GET /metrics HTTP/1.0\r\n\r\n"), METRICS_OK);
	CHECK_EQ(parse("GET /metrics HTTP/1.1\n\n"), METRICS_OK);
	CHECK_EQ(parse("GET /metrics?name[]=x HTTP/1.1\r\nAccept: */*\r\n\r\n"), METRICS_OK);
	CHECK_EQ(parse("GET /metrics HTTP/1.1\r\nA:\r\nB: \t v\r\n\r\n"), METRICS_OK);
	/* not yet complete */
	CHECK_EQ(parse(""), METRICS_INCOMPLETE);
	CHECK_EQ(parse("GET /metrics HTTP/1.1\r\n"), METRICS_INCOMPLETE);
	CHECK_EQ(parse("GET /metrics HTTP/1.1\r\nHost: x\r\n\r"), METRICS_INCOMPLETE);
	CHECK_EQ(parse("GARBAGE"), METRICS_INCOMPLETE);
	/* path and method */
	CHECK_EQ(parse("GET / HTTP/1.1\r\n\r\n"), METRICS_NOT_FOUND);
	CHECK_EQ(parse("GET /metricsx HTTP/1.1\r\n\r\n"), METRICS_NOT_FOUND);
	CHECK_EQ(parse("GET /metric HTTP/1.1\r\n\r\n"), METRICS_NOT_FOUND);
	CHECK_EQ(parse("GET /metrics/ HTTP/1.1\r\n\r\n"), METRICS_NOT_FOUND);
	CHECK_EQ(parse("POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n"), METRICS_BAD_METHOD);
	CHECK_EQ(parse("HEAD /metrics HTTP/1.1\r\n\r\n"), METRICS_BAD_METHOD);
	CHECK_EQ(parse("get /metrics HTTP/1.1\r\n\r\n"), METRICS_BAD_METHOD);
	CHECK_EQ(parse("GETX /metrics HTTP/1.1\r\n\r\n"), METRICS_BAD_METHOD);
	/* version */
	CHECK_EQ(parse("GET /metrics HTTP/2.0\r\n\r\n"), METRICS_BAD_VERSION);
	CHECK_EQ(parse("GET /metrics HTTP/1.2\r\n\r\n"), METRICS_BAD_VERSION);
	CHECK_EQ(parse("GET /metrics HTTP/1.10\r\n\r\n"), METRICS_BAD_REQUEST);
	CHECK_EQ(parse("GET /metrics HTTPS/1.1\r\n\r\n"), METRICS_BAD_REQUEST);
	CHECK_EQ(parse("GET /metrics\r\n\r\n"), METRICS_BAD_REQUEST); /* HTTP/0.9 */
	/* malformed */
	CHECK_EQ(parse("\r\n\r\n"), METRICS_BAD_REQUEST);
	CHECK_EQ(parse("GARBAGE\r\n\r\n"), METRICS_BAD_REQUEST);
	CHECK_EQ(parse("GET  /metrics HTTP/1.1\r\n\r\n"), METRICS_BAD_REQUEST);
	CHECK_EQ(parse("GET metrics HTTP/1.1\r\n\r\n"), METRICS_BAD_REQUEST);
	CHECK_EQ(parse("GET /metrics HTTP/1.1 \r\n\r\n"), METRICS_BAD_REQUEST);
	CHECK_EQ(parse("GET /metrics HTTP/1.1\rX\n\n"), METRICS_BAD_REQUEST);
	CHECK_EQ(parse("GET /metrics HTTP/1.1\r\nNo colon\r\n\r\n"), METRICS_BAD_REQUEST);
	CHECK_EQ(parse("GET /metrics HTTP/1.1\r\n folded: x\r\n\r\n"), METRICS_BAD_REQUEST);
	CHECK_EQ(parse("GET /metrics HTTP/1.1\r\n: empty name\r\n\r\n"), METRICS_BAD_REQUEST);
	CHECK_EQ(parse("GET /metrics HTTP/1.1\r\nA: b\x01\r\n\r\n"), METRICS_BAD_REQUEST);
	CHECK_EQ(parse("GET /metrics HTTP/1.1\r\nA: b\rc\r\n\r\n"), METRICS_BAD_REQUEST);
	CHECK_EQ(parse("GET /met\x7frics HTTP/1.1\r\n\r\n"), METRICS_BAD_REQUEST);
	{
		const char nul[] = "GET /metrics HTTP/1.1\r\nA: \0\r\n\r\n";

		CHECK_EQ(metrics_http_parse(nul, sizeof(nul) - 1), METRICS_BAD_REQUEST);
	}
}

TEST(size_limit)
{
	static char buf[METRICS_REQ_MAX + 100];
	size_t n = (size_t)snprintf(buf, sizeof(buf), "GET /metrics HTTP/1.1\r\nX-Pad: ");

	memset(buf + n, 'a', sizeof(buf) - n);
	/* no end of head within the limit: too large, whatever follows */
	CHECK_EQ(metrics_http_parse(buf, METRICS_REQ_MAX - 1), METRICS_INCOMPLETE);
	CHECK_EQ(metrics_http_parse(buf, METRICS_REQ_MAX), METRICS_TOO_LARGE);
	CHECK_EQ(metrics_http_parse(buf, sizeof(buf)), METRICS_TOO_LARGE);
	/* a head that ends exactly at the limit is fine */
	memcpy(buf + METRICS_REQ_MAX - 4, "\r\n\r\n", 4);
	CHECK_EQ(metrics_http_parse(buf, METRICS_REQ_MAX), METRICS_OK);
	/* and one byte later is not */
	memset(buf + n, 'a', sizeof(buf) - n);
	memcpy(buf + METRICS_REQ_MAX - 3, "\r\n\r\n", 4);
	CHECK_EQ(metrics_http_parse(buf, METRICS_REQ_MAX + 1), METRICS_TOO_LARGE);
}

static const char *const pieces[] = {
	"GET",	    "POST", " ",    "/metrics", "/",	"?a=b", "HTTP/1.1", "HTTP/1.0",
	"HTTP/2.0", "\r\n", "\n",   "\r",	"Host", ": ",	"x",	    "\t",
	"\x00",	    "\x7f", "\xff", ":",	"a",	"1",	"//",	    "HTTP/",
};

static int
known(enum metrics_verdict v)
{
	return v == METRICS_INCOMPLETE || v == METRICS_OK || v == METRICS_BAD_REQUEST ||
	       v == METRICS_NOT_FOUND || v == METRICS_BAD_METHOD || v == METRICS_TOO_LARGE ||
	       v == METRICS_BAD_VERSION;
}

TEST(random_heads_at_a_guard_page)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t span = (size_t)page * 3;
	uint8_t *map = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *end;
	static char head[METRICS_REQ_MAX + 64];
	unsigned int complete = 0, ok = 0;

	REQUIRE(map != MAP_FAILED);
	REQUIRE(mprotect(map + 2 * page, (size_t)page, PROT_NONE) == 0);
	end = map + 2 * page; /* the first byte that faults */
	test_seed(0x5eedf00d);
	for (int iter = 0; iter < 200000; iter++) {
		size_t len = 0, target = test_rand() % 200;
		enum metrics_verdict v, w;

		/* mostly a well-formed start, so the later checks are reached */
		if (test_rand() % 4 != 0)
			len = (size_t)snprintf(head, sizeof(head), "GET /metrics HTTP/1.1\r\n");
		while (len < target) {
			if (test_rand() % 3 == 0) {
				head[len++] = (char)test_rand();
			} else {
				const char *p = pieces[test_rand() % RTE_DIM(pieces)];
				size_t n = p[0] == '\0' ? 1 : strlen(p);

				memcpy(head + len, p, n);
				len += n;
			}
		}
		if (test_rand() % 2)
			len += (size_t)snprintf(head + len, sizeof(head) - len, "\r\n\r\n");
		if (len > (size_t)page)
			len = (size_t)page;
		memcpy(end - len, head, len);
		v = metrics_http_parse((const char *)end - len, len);
		REQUIRE(known(v));
		if (v == METRICS_INCOMPLETE)
			continue;
		complete++;
		ok += v == METRICS_OK;
		/* a prefix is undecided or already decided the same way */
		for (size_t cut = 0; cut < len; cut += 1 + test_rand() % 8) {
			memmove(end - cut, end - len, cut);
			w = metrics_http_parse((const char *)end - cut, cut);
			memcpy(end - len, head, len);
			test_checks++;
			if (w != METRICS_INCOMPLETE && w != v) {
				test_failed_checks++;
				fprintf(stderr, "prefix %zu of %zu: %d, whole: %d\n", cut, len, w,
					v);
			}
		}
		/* what follows the head does not change the verdict */
		memcpy(head + len, "\x01garbage", 8);
		memcpy(end - len - 8, head, len + 8);
		CHECK_EQ(metrics_http_parse((const char *)end - len - 8, len + 8), v);
	}
	/* the random heads reached each outcome often enough to mean something */
	CHECK(complete > 50000);
	CHECK(ok > 1000);
	munmap(map, span);
}

/* ---- the exposition format ---- */

static char *
line_after(char *p)
{
	char *nl = strchr(p, '\n');

	return nl != NULL ? nl + 1 : NULL;
}

TEST(render)
{
	static struct ctl_counters c;
	struct metrics_buf b = {0};
	char families[256][96];
	unsigned int n_families = 0, samples = 0;
	char current[96] = "";
	int typed = 0;

	memset(&c, 0, sizeof(c));
	c.has_daemon = c.has_ctl = c.has_metrics = c.has_telemetry = true;
	c.sessions = 3;
	c.sessions_max = 100;
	c.d.total.rx = 1000;
	c.d.total.drop[DROP_SRTP_AUTH] = 7;
	c.d.n_ports = 2;
	c.d.port[0].ipackets = 11;
	c.d.port[1].ipackets = 22;
	c.n_workers = 2;
	c.worker[1].rx = 600;
	c.worker[1].drop[DROP_SRTP_AUTH] = 7;
	c.d.neighbours = 4;
	c.ctl.clients = 2;
	c.metrics.served = 9;
	c.tel.requests = 5;
	REQUIRE(metrics_render(&c, &b) == 0);
	REQUIRE(b.len > 0 && b.p[b.len - 1] == '\n');
	b.p[b.len - 1] = '\0';
	/* exact samples */
	CHECK(strstr(b.p, "\nsrtpfwd_sessions 3\n") != NULL);
	CHECK(strstr(b.p, "\nsrtpfwd_sessions_max 100\n") != NULL);
	CHECK(strstr(b.p, "\nsrtpfwd_rx_packets_total 1000\n") != NULL);
	CHECK(strstr(b.p, "\nsrtpfwd_drops_total{reason=\"srtp_auth\"} 7\n") != NULL);
	CHECK(strstr(b.p, "\nsrtpfwd_drops_total{reason=\"no_session\"} 0\n") != NULL);
	CHECK(strstr(b.p, "\nsrtpfwd_port_rx_packets_total{port=\"0\"} 11\n"
			  "srtpfwd_port_rx_packets_total{port=\"1\"} 22\n") != NULL);
	CHECK(strstr(b.p, "\nsrtpfwd_worker_rx_packets_total{worker=\"0\"} 0\n"
			  "srtpfwd_worker_rx_packets_total{worker=\"1\"} 600\n") != NULL);
	CHECK(strstr(b.p, "\nsrtpfwd_worker_drops_total{worker=\"1\",reason=\"srtp_auth\"} 7\n") !=
	      NULL);
	CHECK(strstr(b.p, "\nsrtpfwd_neigh_entries 4\n") != NULL);
	CHECK(strstr(b.p, "\n# TYPE srtpfwd_ctl_clients gauge\nsrtpfwd_ctl_clients 2\n") != NULL);
	CHECK(strstr(b.p, "\n# TYPE srtpfwd_metrics_served_total counter\n"
			  "srtpfwd_metrics_served_total 9\n") != NULL);
	CHECK(strstr(b.p, "\nsrtpfwd_telemetry_requests_total 5\n") != NULL);
	CHECK(strncmp(b.p, "# HELP srtpfwd_sessions sessions in use\n", 40) == 0);
	/* the format, line by line */
	for (char *next = b.p; next != NULL; next = line_after(next)) {
		char name[96], type[16], rest[8], p[512];
		size_t n = strcspn(next, "\n");

		REQUIRE(n < sizeof(p));
		memcpy(p, next, n);
		p[n] = '\0';

		if (n == 0) {
			CHECK(0); /* no empty lines */
			continue;
		}
		if (strncmp(p, "# HELP ", 7) == 0) {
			REQUIRE(sscanf(p + 7, "%95s", name) == 1);
			REQUIRE(n_families < 256);
			for (unsigned int i = 0; i < n_families; i++)
				if (strcmp(families[i], name) == 0) {
					fprintf(stderr, "family %s appears twice\n", name);
					CHECK(0);
				}
			strcpy(families[n_families++], name);
			strcpy(current, name);
			typed = 0;
			CHECK(n > 7 + strlen(name) + 1); /* has a text */
			continue;
		}
		if (strncmp(p, "# TYPE ", 7) == 0) {
			REQUIRE(sscanf(p + 7, "%95s %15s %7s", name, type, rest) == 2);
			CHECK(strcmp(name, current) == 0);
			CHECK(strcmp(type, "counter") == 0 || strcmp(type, "gauge") == 0);
			/* counters end in _total (Prometheus naming); gauges do not */
			CHECK((strcmp(type, "counter") == 0) ==
			      (strlen(name) > 6 && strcmp(name + strlen(name) - 6, "_total") == 0));
			typed = 1;
			continue;
		}
		/* a sample of the current family */
		{
			size_t fl = strlen(current);
			unsigned long long v;
			char *sp = memchr(p, ' ', n);

			CHECK(typed);
			CHECK(strncmp(p, current, fl) == 0 && (p[fl] == ' ' || p[fl] == '{'));
			REQUIRE(sp != NULL);
			CHECK(sscanf(sp + 1, "%llu", &v) == 1);
			if (p[fl] == '{')
				CHECK(sp[-1] == '}');
			samples++;
		}
	}
	/* families: 2 sessions, 7 + drops + 9 daemon (expired, inject_full,
	 * 2 pool gauges, 5 fault episodes), 10 port, 8 worker, 13 neigh,
	 * 11 ctl, 11 metrics, 3 telemetry */
	CHECK_EQ(n_families, 2 + 7 + 1 + 9 + 10 + 7 + 1 + 13 + 11 + 11 + 3);
	CHECK_EQ(samples,
		 2 + 7 + (DROP_MAX - 1) + 9 + 10 * 2 + (7 + (DROP_MAX - 1)) * 2 + 13 + 11 + 11 + 3);
	free(b.p);
}

TEST_MAIN()
