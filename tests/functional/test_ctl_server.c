/* test_ctl_server.c: the control server over real sockets, driven by
 * libsrtpfwd-ctl. The server runs in a thread of its own (the "control
 * thread": the only one that touches the sessions); the test is the client.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control/ctl_events.h"
#include "control/ctl_server.h"
#include "control/srtpfwd_ctl.h"
#include "engine.h"
#include "test.h"

static struct sessions *SS;
static struct ctl_server *SRV;
static struct ctl_events *EV;
static volatile int STOP;
static char PATH[108];

static void *
server_thread(void *arg)
{
	(void)arg;
	while (!STOP) {
		ctl_server_poll(SRV, 5);
		ctl_events_scan(EV);
	}
	return NULL;
}

static struct srtpfwd_ctl *
connect_unix(void)
{
	char err[256];
	struct srtpfwd_ctl *c = srtpfwd_ctl_connect(PATH, NULL, 2000, err, sizeof(err));

	if (c == NULL)
		fprintf(stderr, "connect: %s\n", err);
	return c;
}

static void
leg(struct srtpfwd_ctl_leg *l, uint8_t last, uint16_t port, int srtp)
{
	memset(l, 0, sizeof(*l));
	l->remote_addr[0] = 198, l->remote_addr[1] = 51, l->remote_addr[2] = 100;
	l->remote_addr[3] = last;
	l->remote_port = port;
	if (srtp) {
		l->flags = PROTO_LEG_SRTP;
		l->in.suite = l->out.suite = 1;
		l->in.key_len = l->out.key_len = 16;
		l->in.salt_len = l->out.salt_len = 14;
		memset(l->in.key, 0xa5, 16);
		memset(l->out.key, 0x5a, 16);
	}
}

TEST(create_get_list_stats_delete)
{
	struct srtpfwd_ctl *c = connect_unix();
	struct srtpfwd_ctl_session s;
	struct srtpfwd_ctl_info info;
	uint32_t slot = 0, slots[8], n = 0, next = 1;
	uint16_t ports[2] = {0, 0};

	REQUIRE(c != NULL);
	memset(&s, 0, sizeof(s));
	s.id = 4242;
	s.timeout_ms = 30000;
	leg(&s.leg[0], 1, 4000, 1);
	leg(&s.leg[1], 2, 5000, 0);
	CHECK_EQ(srtpfwd_ctl_create(c, &s, &slot, ports), 0);
	CHECK(slot != 0);
	CHECK(ports[0] >= 20000 && ports[0] <= 20099 && ports[0] % 2 == 0);
	CHECK_EQ(srtpfwd_ctl_get(c, slot, &info, NULL, NULL), 0);
	CHECK_EQ(info.id, 4242);
	CHECK_EQ(info.timeout_ms, 30000);
	CHECK_EQ(info.leg[0].local_port, ports[0]);
	CHECK_EQ(info.leg[0].remote_port, 4000);
	CHECK_EQ(info.leg[0].suite_in, 1);
	CHECK_EQ(info.leg[1].suite_in, 0);
	CHECK_EQ(srtpfwd_ctl_list(c, 0, 8, slots, &n, &next), 0);
	CHECK_EQ(n, 1);
	CHECK_EQ(slots[0], slot);
	CHECK_EQ(next, 0);
	CHECK_EQ(srtpfwd_ctl_delete(c, slot), 0);
	CHECK_EQ(srtpfwd_ctl_delete(c, slot), PROTO_ST_NO_SESSION);
	CHECK(strstr(srtpfwd_ctl_error(c), "no session in slot") != NULL);
	srtpfwd_ctl_close(c);
}

int
main(void)
{
	struct sessions_config cfg;
	struct ctl_server_config sc;
	struct ctl_env env;
	struct worker *w = engine_worker();
	pthread_t th;
	char err[256];
	int bad;

	memset(&cfg, 0, sizeof(cfg));
	cfg.port_min = 20000;
	cfg.port_max = 20099;
	cfg.max_sessions = 16;
	cfg.n_addrs = 1;
	cfg.addrs[0].addr[0] = 192, cfg.addrs[0].addr[2] = 2, cfg.addrs[0].addr[3] = 10;
	SS = sessions_new(&cfg, NULL, w->crypto.mgr, err, sizeof(err));
	if (SS == NULL)
		return 1;
	snprintf(PATH, sizeof(PATH), "/tmp/srtpfwd-test-ctl.%d.sock", (int)getpid());
	memset(&sc, 0, sizeof(sc));
	sc.unix_path = PATH;
	env = (struct ctl_env){.ss = SS};
	SRV = ctl_server_new(&sc, &env, err, sizeof(err));
	if (SRV == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	EV = ctl_events_new(SS, SRV);
	pthread_create(&th, NULL, server_thread, NULL);
	bad = test_run_all();
	STOP = 1;
	pthread_join(th, NULL);
	ctl_events_free(EV);
	ctl_server_free(SRV);
	sessions_free(SS);
	engine_worker_free(w);
	return bad;
}
