/* ctl_tls.h: TLS 1.3 with mutual certificate authentication for the
 * control channel. The only module that uses OpenSSL: the server (srtpfwd)
 * and the client library (libsrtpfwd-ctl) both link it. No DPDK.
 *
 * Policy, fixed here and nowhere else: TLS 1.3 only (1.2 and below are
 * refused in the handshake); the peer's chain must verify against the one
 * configured CA; the server requires a client certificate, and when allowed
 * names are configured, one of them must match a subjectAltName DNS entry
 * of the client's certificate (names, never IP addresses; the subject CN is
 * not consulted). The client checks the server's certificate against
 * server_name the same way.
 *
 * Objects are owned by whoever creates them; not thread safe (one control
 * thread, or one client).
 */
#ifndef SRTPFWD_CTL_TLS_H
#define SRTPFWD_CTL_TLS_H

#include <stddef.h>

#define CTL_TLS_NAMES_MAX 16
#define CTL_TLS_AGAIN (-2) /* the socket would block: poll, then call again */

struct ctl_tls_config {
	const char *ca_file; /* PEM: the CA that signs the other side */
	const char *cert_file; /* PEM: our certificate (chain) */
	const char *key_file; /* PEM: its private key */
	/* server: client names allowed (none: any client the CA signed) */
	const char *allowed_names[CTL_TLS_NAMES_MAX];
	unsigned int n_allowed;
	const char *server_name; /* client: the name the server's cert must carry */
};

struct ctl_tls_ctx;
struct ctl_tls;

/** @return a context, or NULL with @p err saying which file and why. */
struct ctl_tls_ctx *ctl_tls_server_new(const struct ctl_tls_config *cfg, char *err, size_t err_len);
struct ctl_tls_ctx *ctl_tls_client_new(const struct ctl_tls_config *cfg, char *err, size_t err_len);
void ctl_tls_ctx_free(struct ctl_tls_ctx *ctx);

/** Wrap a connected socket (blocking or not). NULL on allocation failure. */
struct ctl_tls *ctl_tls_new(struct ctl_tls_ctx *ctx, int fd);

/**
 * Drive the handshake. @return 1 done, CTL_TLS_AGAIN (poll for
 * ctl_tls_want_write() ? POLLOUT : POLLIN), or -1 with @p err set (the
 * peer's certificate failed, wrong version, connection lost).
 */
int ctl_tls_handshake(struct ctl_tls *t, char *err, size_t err_len);

/** @return bytes (> 0), 0 at a clean end, CTL_TLS_AGAIN, or -1. */
long ctl_tls_read(struct ctl_tls *t, void *buf, size_t len);
/** @return bytes written (> 0), CTL_TLS_AGAIN, or -1. */
long ctl_tls_write(struct ctl_tls *t, const void *buf, size_t len);
/** Why the last read or write failed: the alert the peer sent (a server
 * that refused our certificate says so in one), else OpenSSL's or the
 * system's reason. */
const char *ctl_tls_error(const struct ctl_tls *t);
/** Decrypted bytes already buffered (poll would not report them). */
int ctl_tls_pending(struct ctl_tls *t);
/** Whether the last CTL_TLS_AGAIN waits for the socket to be writable. */
int ctl_tls_want_write(const struct ctl_tls *t);

/** The verified peer's first subjectAltName DNS entry, or "" (logs). */
const char *ctl_tls_peer_name(const struct ctl_tls *t);

/** Send close_notify (best effort, never blocks) and free. The fd stays open. */
void ctl_tls_free(struct ctl_tls *t);

#endif
