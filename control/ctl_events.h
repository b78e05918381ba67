/* ctl_events.h: what subscribed controllers are told without asking
 * (docs/protocol.md, events): a session expired, a leg latched onto a new
 * remote, a burst of authentication failures on a leg, a key near its
 * packet lifetime.
 *
 * Control thread only. Owns a per-slot record of what was last reported
 * (reset when a new session takes the slot, sessions_generation()); reads
 * the workers' single-writer latch and counters as they are. Scanning is
 * once a second, so an event is at most a second late.
 */
#ifndef SRTPFWD_CTL_EVENTS_H
#define SRTPFWD_CTL_EVENTS_H

#include <stdint.h>

#include "ctl_server.h"
#include "sessions.h"

/* At least this many failures on a leg within one scan is a burst. */
#define CTL_AUTH_BURST 10
/* A key is near its lifetime with fewer than lifetime / 2^CTL_KEY_NEAR_SHIFT
 * packets left (RFC 3711 §9.2: 2^48 SRTP, 2^31 SRTCP). */
#define CTL_KEY_NEAR_SHIFT 4

struct ctl_events;

struct ctl_events *ctl_events_new(struct sessions *ss, struct ctl_server *srv);
void ctl_events_free(struct ctl_events *e);

/** Compare every live session with what was last reported; send events. */
void ctl_events_scan(struct ctl_events *e);

/** The same, spread over a second: every CTL_EVENTS_SLICE_MS on the
 * monotonic clock (@p now_ms, clock_ms.h) it looks at the next hundredth
 * of the table, so that no request waits behind a whole pass (at 50,000
 * sessions a pass took 11-22 ms, ctl_bench). Call it on every turn of the
 * control loop. @return 0 when no slice was due, 1 when one was scanned,
 * 2 when that slice finished a pass. */
int ctl_events_poll(struct ctl_events *e, int64_t now_ms);

#define CTL_EVENTS_SLICE_MS 10

/** A session expired (sessions_expire callback; @p ctx is the ctl_events). */
void ctl_events_timeout(void *ctx, uint32_t slot, uint64_t id);

#endif
