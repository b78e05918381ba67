/* test_counters_doc.c: docs/counters.md follows control/ctl_stats.h and
 * dataplane/stats.h row for row, both ways.
 *
 *   - every counter the walk produces (one port and one worker standing for
 *     all) has its row: STATS name, Prometheus name and labels, type,
 *     telemetry place, meaning, exactly as the code says;
 *   - every drop reason has its row with its description;
 *   - every row of the document names a counter or a drop reason the code
 *     has (nothing documented that does not exist), but the rows of the
 *     telemetry commands' table ("| `/srtpfwd/...` |").
 *
 * Env SRTPFWD_COUNTERS_DOC: the document. SRTPFWD_COUNTERS_DOC_PRINT=1
 * prints the rows the code expects (to update the document).
 */
#include <stdlib.h>

#include "../test.h"

#include "control/ctl_stats.h"

#define ROWS_MAX 512

static char *DOC;
static char rows[ROWS_MAX][512];
static char names[ROWS_MAX][96]; /* the first cell of each expected row */
static unsigned int n_rows;

static char *
read_doc(void)
{
	const char *path = getenv("SRTPFWD_COUNTERS_DOC");
	static char text[1 << 17];
	size_t n;
	FILE *f;

	if (path == NULL || (f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "SRTPFWD_COUNTERS_DOC: cannot open %s\n", path ? path : "(unset)");
		return NULL;
	}
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	return text;
}

/* "port0.ipackets" -> "port<i>.ipackets", "worker3.drop.x" -> "worker<i>.drop.<reason>" */
static void
doc_name(const struct ctl_counter *k, char *out, size_t cap)
{
	const char *field = k->reason != NULL ? "drop.<reason>" : k->field;

	if (k->group == CTL_G_PORT)
		snprintf(out, cap, "port<i>.%s", field);
	else if (k->group == CTL_G_WORKER)
		snprintf(out, cap, "worker<i>.%s", field);
	else
		snprintf(out, cap, "%s", k->reason != NULL ? field : k->name);
}

/* Where telemetry shows it, as a path into the JSON of a /srtpfwd/ command. */
static void
doc_telemetry(const struct ctl_counter *k, char *out, size_t cap)
{
	static const char *const group[] = {
		[CTL_G_NEIGH] = "neigh",
		[CTL_G_CTL] = "ctl",
		[CTL_G_METRICS] = "metrics",
		[CTL_G_TELEMETRY] = "telemetry",
	};

	switch (k->group) {
	case CTL_G_SESSIONS:
	case CTL_G_TOTAL:
		snprintf(out, cap, "stats.%s", k->reason != NULL ? "drop.<reason>" : k->name);
		break;
	case CTL_G_PORT: snprintf(out, cap, "ports.<i>.%s", k->field); break;
	case CTL_G_WORKER:
		if (k->reason != NULL)
			snprintf(out, cap, "workers,<i>.drop.<reason>");
		else
			snprintf(out, cap, "workers.<i>.%s", k->field);
		break;
	default: snprintf(out, cap, "stats.%s.%s", group[k->group], k->field); break;
	}
}

static void
expect_row(void *ctx, const struct ctl_counter *k)
{
	char name[96], tel[96], labels[32] = "";

	(void)ctx;
	doc_name(k, name, sizeof(name));
	for (unsigned int i = 0; i < n_rows; i++)
		if (strcmp(names[i], name) == 0)
			return; /* port 0 stands for every port, a reason for all */
	if (n_rows == ROWS_MAX)
		abort();
	doc_telemetry(k, tel, sizeof(tel));
	if (k->group == CTL_G_PORT)
		snprintf(labels, sizeof(labels), "{port}");
	else if (k->group == CTL_G_WORKER)
		snprintf(labels, sizeof(labels),
			 k->reason != NULL ? "{worker,reason}" : "{worker}");
	else if (k->reason != NULL)
		snprintf(labels, sizeof(labels), "{reason}");
	snprintf(names[n_rows], sizeof(names[n_rows]), "%s", name);
	snprintf(rows[n_rows], sizeof(rows[n_rows]), "| `%s` | `srtpfwd_%s%s` | %s | `%s` | %s |",
		 name, k->metric, labels, k->kind == CTL_GAUGE ? "gauge" : "counter", tel,
		 k->reason != NULL ? "packets dropped for that reason (table below)" : k->help);
	n_rows++;
}

/* Every counter of every group: one port, one worker, every server. */
static void
expected_rows(void)
{
	static struct ctl_counters c;

	memset(&c, 0, sizeof(c));
	c.has_daemon = c.has_ctl = c.has_metrics = c.has_telemetry = true;
	c.d.n_ports = 1;
	c.n_workers = 1;
	n_rows = 0;
	ctl_counters_walk(&c, expect_row, NULL);
}

TEST(every_counter_has_its_row)
{
	expected_rows();
	REQUIRE(n_rows > 60);
	for (unsigned int i = 0; i < n_rows; i++) {
		test_checks++;
		if (strstr(DOC, rows[i]) == NULL) {
			test_failed_checks++;
			fprintf(stderr, "docs/counters.md lacks the row:\n%s\n", rows[i]);
		}
	}
}

TEST(every_drop_reason_has_its_row)
{
	for (unsigned int r = 1; r < DROP_MAX; r++) {
		char row[256];

		snprintf(row, sizeof(row), "| `%s` | %s |", drop_reason_name((enum drop_reason)r),
			 drop_reason_text((enum drop_reason)r));
		test_checks++;
		if (strstr(DOC, row) == NULL) {
			test_failed_checks++;
			fprintf(stderr, "docs/counters.md lacks the row:\n%s\n", row);
		}
	}
}

/* Every "| `x` |" row names a counter (as the document writes it) or a
 * drop reason. */
TEST(every_row_exists_in_the_code)
{
	unsigned int n = 0;

	expected_rows();
	for (const char *p = strstr(DOC, "\n| `"); p != NULL; p = strstr(p + 1, "\n| `")) {
		char cell[128];
		int known = 0;

		if (sscanf(p, "\n| `%127[^`]`", cell) != 1 || strncmp(cell, "/srtpfwd/", 9) == 0)
			continue; /* the telemetry commands' table */
		n++;
		for (unsigned int i = 0; i < n_rows && !known; i++)
			known = strcmp(names[i], cell) == 0;
		for (unsigned int r = 1; r < DROP_MAX && !known; r++)
			known = strcmp(drop_reason_name((enum drop_reason)r), cell) == 0;
		test_checks++;
		if (!known) {
			test_failed_checks++;
			fprintf(stderr, "docs/counters.md documents %s, which the code lacks\n",
				cell);
		}
	}
	/* each counter and reason once: no row twice */
	CHECK_EQ(n, n_rows + DROP_MAX - 1);
}

int
main(void)
{
	if (getenv("SRTPFWD_COUNTERS_DOC_PRINT") != NULL) {
		expected_rows();
		for (unsigned int i = 0; i < n_rows; i++)
			printf("%s\n", rows[i]);
		for (unsigned int r = 1; r < DROP_MAX; r++)
			printf("| `%s` | %s |\n", drop_reason_name((enum drop_reason)r),
			       drop_reason_text((enum drop_reason)r));
		return 0;
	}
	DOC = read_doc();
	if (DOC == NULL)
		return 1;
	return test_run_all();
}
