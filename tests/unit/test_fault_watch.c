/* test_fault_watch.c: control/fault_watch.c turns counter growth into
 * episodes, each reported once when it starts and once when it clears.
 *
 *   - the first sample is a baseline: counters already non-zero at start
 *     are no episode;
 *   - growth starts an episode (one report, the growth seen), more growth
 *     inside it reports nothing, its quiet time without growth clears it
 *     (one report: all it counted, how long it grew); 1 s for the ring
 *     faults, 3 s for those fed by the PMDs' once-a-second counters;
 *   - one quiet sample short of the quiet time does not clear it;
 *   - faults are independent; a counter going backwards (stats reset) is a
 *     new baseline, never an episode; names, texts and counters for every
 *     kind, "?" out of range.
 */
#include "../test.h"
#include "control/fault_watch.h"

struct report {
	enum fault_kind kind;
	int cleared;
	uint64_t lost, ms;
};

static struct report reports[64];
static unsigned int n_reports;

static void
record(void *ctx, enum fault_kind kind, int cleared, uint64_t lost, uint64_t ms)
{
	(void)ctx;
	if (n_reports < 64)
		reports[n_reports] = (struct report){kind, cleared, lost, ms};
	n_reports++;
}

static struct fault_watch w;
static uint64_t cnt[FAULT_MAX];

static void
reset(void)
{
	memset(&w, 0, sizeof(w));
	memset(cnt, 0, sizeof(cnt));
	n_reports = 0;
}

static void
at(uint64_t ms)
{
	fault_watch_update(&w, cnt, ms, record, NULL);
}

TEST(baseline_is_not_an_episode)
{
	reset();
	cnt[FAULT_PUNT_FULL] = 500; /* counted before the watch began */
	at(0);
	at(100);
	CHECK_EQ(n_reports, 0);
	CHECK_EQ(w.episodes[FAULT_PUNT_FULL], 0);
}

TEST(one_episode_reported_once_each_way)
{
	reset();
	at(0);
	cnt[FAULT_PUNT_FULL] = 10;
	at(100);
	REQUIRE(n_reports == 1);
	CHECK_EQ(reports[0].kind, FAULT_PUNT_FULL);
	CHECK_EQ(reports[0].cleared, 0);
	CHECK_EQ(reports[0].lost, 10);
	CHECK_EQ(w.episodes[FAULT_PUNT_FULL], 1);
	/* it keeps growing for 2 s: no more reports */
	for (uint64_t t = 200; t <= 2100; t += 100) {
		cnt[FAULT_PUNT_FULL] += 7;
		at(t);
	}
	CHECK_EQ(n_reports, 1);
	/* quiet: 900 ms after the last growth, still on */
	at(3000);
	CHECK_EQ(n_reports, 1);
	at(3099);
	CHECK_EQ(n_reports, 1);
	at(3100); /* 1000 ms quiet */
	REQUIRE(n_reports == 2);
	CHECK_EQ(reports[1].kind, FAULT_PUNT_FULL);
	CHECK_EQ(reports[1].cleared, 1);
	CHECK_EQ(reports[1].lost, 10 + 20 * 7);
	CHECK_EQ(reports[1].ms, 2000);
	at(5000);
	CHECK_EQ(n_reports, 2);
	/* a second episode */
	cnt[FAULT_PUNT_FULL]++;
	at(5100);
	REQUIRE(n_reports == 3);
	CHECK_EQ(reports[2].cleared, 0);
	CHECK_EQ(reports[2].lost, 1);
	CHECK_EQ(w.episodes[FAULT_PUNT_FULL], 2);
	at(6100);
	REQUIRE(n_reports == 4);
	CHECK_EQ(reports[3].cleared, 1);
	CHECK_EQ(reports[3].lost, 1);
	CHECK_EQ(reports[3].ms, 0);
}

TEST(faults_are_independent)
{
	reset();
	at(0);
	cnt[FAULT_TX_FULL] = 3;
	cnt[FAULT_MBUF_EXHAUSTED] = 1;
	at(100);
	REQUIRE(n_reports == 2);
	CHECK_EQ(reports[0].kind, FAULT_TX_FULL);
	CHECK_EQ(reports[1].kind, FAULT_MBUF_EXHAUSTED);
	cnt[FAULT_MBUF_EXHAUSTED] = 2;
	at(600);
	at(1100); /* tx_full quiet 1000 ms: cleared; mbuf quiet 500 ms */
	REQUIRE(n_reports == 3);
	CHECK_EQ(reports[2].kind, FAULT_TX_FULL);
	CHECK_EQ(reports[2].cleared, 1);
	at(2600); /* mbuf quiet 2000 ms: a PMD-fed fault waits 3000 */
	CHECK_EQ(n_reports, 3);
	at(3599);
	CHECK_EQ(n_reports, 3);
	at(3600);
	REQUIRE(n_reports == 4);
	CHECK_EQ(reports[3].kind, FAULT_MBUF_EXHAUSTED);
	CHECK_EQ(reports[3].lost, 2);
	CHECK_EQ(reports[3].ms, 500);
	for (unsigned int k = 0; k < FAULT_MAX; k++)
		CHECK_EQ(w.episodes[k], k == FAULT_TX_FULL || k == FAULT_MBUF_EXHAUSTED);
}

TEST(counter_reset_is_a_new_baseline)
{
	reset();
	cnt[FAULT_RX_MISSED] = 1000;
	at(0);
	cnt[FAULT_RX_MISSED] = 0; /* the port's stats were reset */
	at(100);
	CHECK_EQ(n_reports, 0);
	cnt[FAULT_RX_MISSED] = 4;
	at(200);
	REQUIRE(n_reports == 1);
	CHECK_EQ(reports[0].lost, 4);
	/* reset inside an episode: what it counted restarts from the reset */
	cnt[FAULT_RX_MISSED] = 0;
	at(300);
	cnt[FAULT_RX_MISSED] = 2;
	at(400);
	CHECK_EQ(n_reports, 1);
	at(1400);
	CHECK_EQ(n_reports, 1);
	at(3400);
	REQUIRE(n_reports == 2);
	CHECK_EQ(reports[1].cleared, 1);
	CHECK_EQ(reports[1].lost, 2);
}

TEST(names)
{
	for (unsigned int k = 0; k < FAULT_MAX; k++) {
		CHECK(strcmp(fault_name((enum fault_kind)k), "?") != 0);
		CHECK(strlen(fault_text((enum fault_kind)k)) > 10);
		CHECK(strlen(fault_counter((enum fault_kind)k)) > 3);
	}
	CHECK(strcmp(fault_name(FAULT_PUNT_FULL), "punt_full") == 0);
	CHECK(strcmp(fault_counter(FAULT_PUNT_FULL), "drop.punt_full") == 0);
	CHECK(strcmp(fault_name(FAULT_MAX), "?") == 0);
	CHECK_EQ(fault_quiet_ms(FAULT_PUNT_FULL), 1000);
	CHECK_EQ(fault_quiet_ms(FAULT_INJECT_FULL), 1000);
	CHECK_EQ(fault_quiet_ms(FAULT_TX_FULL), 1000);
	CHECK_EQ(fault_quiet_ms(FAULT_MBUF_EXHAUSTED), 3000);
	CHECK_EQ(fault_quiet_ms(FAULT_RX_MISSED), 3000);
	CHECK_EQ(fault_quiet_ms(FAULT_MAX), 0);
	CHECK(strcmp(fault_text((enum fault_kind)99), "?") == 0);
}

TEST_MAIN()
