/* ctl_addr.h: "HOST:PORT" and "[V6]:PORT" as the control channel's TCP
 * listener (ctl_server.c) and its client (ctl_client.c) both take them.
 * No state; no DPDK. */
#ifndef SRTPFWD_CTL_ADDR_H
#define SRTPFWD_CTL_ADDR_H

#include <stddef.h>

/**
 * Split @p s at its port: the host (brackets removed) into @p host, a
 * pointer to the port's text into @p port.
 * @return 0, or -1 if there is no port or the host does not fit in @p cap.
 */
int ctl_split_hostport(const char *s, char *host, size_t cap, const char **port);

#endif
