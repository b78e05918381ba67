/* ctl_stats.h: the process's counters for STATS (ctl_env.stats). Reads
 * only: worker counters as they are, port counters from the PMDs, the
 * neighbour module's and the control server's. Control thread. */
#ifndef SRTPFWD_CTL_STATS_H
#define SRTPFWD_CTL_STATS_H

#include "ctl_dispatch.h"
#include "ctl_server.h"
#include "daemon.h"

struct ctl_stats_src {
	struct daemon *d; /* NULL: none */
	struct ctl_server *srv; /* NULL: none */
};

/** ctl_env.stats: @p arg is a struct ctl_stats_src. */
void ctl_stats_put(void *arg, struct proto_writer *w);

#endif
