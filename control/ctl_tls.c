/* ctl_tls.c: the control channel's TLS (see ctl_tls.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "ctl_tls.h"

struct ctl_tls_ctx {
	SSL_CTX *ssl;
	int server;
	unsigned int n_allowed;
	char *allowed[CTL_TLS_NAMES_MAX];
	char *server_name;
};

struct ctl_tls {
	SSL *ssl;
	int want_write;
	char peer[128];
	char err[160]; /* why the last read or write failed */
};

/* The newest OpenSSL error as text, then the queue cleared so a later
 * failure is not blamed on this one. */
static void
ssl_error(char *err, size_t err_len, const char *what, const char *file)
{
	unsigned long e = ERR_peek_last_error();
	char buf[200];

	ERR_error_string_n(e, buf, sizeof(buf));
	snprintf(err, err_len, "%s%s%s: %s", what, file ? " " : "", file ? file : "",
		 e ? buf : "failed");
	ERR_clear_error();
}

/* Server side, depth 0 (the client's own certificate), after the chain
 * verified: one allowed name must be a subjectAltName DNS entry. */
static int
verify_names(int ok, X509_STORE_CTX *x)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct ctl_tls_ctx *c = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
	X509 *cert = X509_STORE_CTX_get_current_cert(x);

	if (!ok || X509_STORE_CTX_get_error_depth(x) != 0 || c->n_allowed == 0)
		return ok;
	for (unsigned int i = 0; i < c->n_allowed; i++)
		if (X509_check_host(cert, c->allowed[i], 0, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT,
				    NULL) == 1)
			return 1;
	X509_STORE_CTX_set_error(x, X509_V_ERR_HOSTNAME_MISMATCH);
	return 0;
}

static struct ctl_tls_ctx *
ctx_new(const struct ctl_tls_config *cfg, int server, char *err, size_t err_len)
{
	struct ctl_tls_ctx *c;

	if (cfg->ca_file == NULL || cfg->cert_file == NULL || cfg->key_file == NULL) {
		snprintf(err, err_len, "TLS needs a CA, a certificate and its key");
		return NULL;
	}
	if (cfg->n_allowed > CTL_TLS_NAMES_MAX) {
		snprintf(err, err_len, "at most %d allowed client names", CTL_TLS_NAMES_MAX);
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	c->server = server;
	c->ssl = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	if (c->ssl == NULL) {
		ssl_error(err, err_len, "SSL_CTX_new", NULL);
		goto fail;
	}
	SSL_CTX_set_app_data(c->ssl, c);
	if (!SSL_CTX_set_min_proto_version(c->ssl, TLS1_3_VERSION)) {
		ssl_error(err, err_len, "TLS 1.3", NULL);
		goto fail;
	}
	if (SSL_CTX_load_verify_locations(c->ssl, cfg->ca_file, NULL) != 1) {
		ssl_error(err, err_len, "CA", cfg->ca_file);
		goto fail;
	}
	if (SSL_CTX_use_certificate_chain_file(c->ssl, cfg->cert_file) != 1) {
		ssl_error(err, err_len, "certificate", cfg->cert_file);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(c->ssl, cfg->key_file, SSL_FILETYPE_PEM) != 1) {
		ssl_error(err, err_len, "key", cfg->key_file);
		goto fail;
	}
	if (SSL_CTX_check_private_key(c->ssl) != 1) {
		ssl_error(err, err_len, "key does not match certificate", cfg->cert_file);
		goto fail;
	}
	/* No session tickets or resumption: every connection shows a
	 * certificate, and no ticket key needs protecting. */
	SSL_CTX_set_session_cache_mode(c->ssl, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(c->ssl, SSL_OP_NO_TICKET);
	SSL_CTX_set_mode(c->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE);
	/* Requests carry master keys: OpenSSL wipes each record's plaintext
	 * from its buffers once it is read, rather than leaving it there
	 * until the buffer is reused. */
	SSL_CTX_set_options(c->ssl, SSL_OP_CLEANSE_PLAINTEXT);
	if (server) {
		SSL_CTX_set_num_tickets(c->ssl, 0);
		for (unsigned int i = 0; i < cfg->n_allowed; i++) {
			c->allowed[i] = strdup(cfg->allowed_names[i]);
			if (c->allowed[i] == NULL) {
				snprintf(err, err_len, "out of memory");
				goto fail;
			}
			c->n_allowed = i + 1;
		}
		SSL_CTX_set_verify(c->ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
				   verify_names);
	} else {
		if (cfg->server_name != NULL &&
		    (c->server_name = strdup(cfg->server_name)) == NULL) {
			snprintf(err, err_len, "out of memory");
			goto fail;
		}
		SSL_CTX_set_verify(c->ssl, SSL_VERIFY_PEER, NULL);
	}
	return c;
fail:
	ctl_tls_ctx_free(c);
	return NULL;
}

struct ctl_tls_ctx *
ctl_tls_server_new(const struct ctl_tls_config *cfg, char *err, size_t err_len)
{
	return ctx_new(cfg, 1, err, err_len);
}

struct ctl_tls_ctx *
ctl_tls_client_new(const struct ctl_tls_config *cfg, char *err, size_t err_len)
{
	return ctx_new(cfg, 0, err, err_len);
}

void
ctl_tls_ctx_free(struct ctl_tls_ctx *c)
{
	if (c == NULL)
		return;
	SSL_CTX_free(c->ssl);
	for (unsigned int i = 0; i < c->n_allowed; i++)
		free(c->allowed[i]);
	free(c->server_name);
	free(c);
}

struct ctl_tls *
ctl_tls_new(struct ctl_tls_ctx *c, int fd)
{
	struct ctl_tls *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->ssl = SSL_new(c->ssl);
	if (t->ssl == NULL || SSL_set_fd(t->ssl, fd) != 1)
		goto fail;
	if (c->server) {
		SSL_set_accept_state(t->ssl);
	} else {
		if (c->server_name != NULL &&
		    (SSL_set1_host(t->ssl, c->server_name) != 1 ||
		     SSL_set_tlsext_host_name(t->ssl, c->server_name) != 1))
			goto fail;
		SSL_set_connect_state(t->ssl);
	}
	return t;
fail:
	ERR_clear_error();
	SSL_free(t->ssl);
	free(t);
	return NULL;
}

/* SSL_get_error as AGAIN or failure; remembers which way to poll, or
 * why it failed. */
static int
again_or_fail(struct ctl_tls *t, int r)
{
	int e = SSL_get_error(t->ssl, r), sys = errno;
	unsigned long q = ERR_peek_last_error();

	switch (e) {
	case SSL_ERROR_WANT_READ: t->want_write = 0; return CTL_TLS_AGAIN;
	case SSL_ERROR_WANT_WRITE: t->want_write = 1; return CTL_TLS_AGAIN;
	default:
		if (q != 0 && ERR_reason_error_string(q) != NULL)
			snprintf(t->err, sizeof(t->err), "TLS: %s", ERR_reason_error_string(q));
		else if (e == SSL_ERROR_SYSCALL && sys != 0)
			snprintf(t->err, sizeof(t->err), "%s", strerror(sys));
		else
			snprintf(t->err, sizeof(t->err), "connection lost");
		return -1;
	}
}

static void
peer_name(struct ctl_tls *t)
{
	X509 *cert = SSL_get0_peer_certificate(t->ssl);
	GENERAL_NAMES *names;

	t->peer[0] = '\0';
	if (cert == NULL)
		return;
	names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	for (int i = 0; names != NULL && i < sk_GENERAL_NAME_num(names); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);

		if (g->type == GEN_DNS) {
			const unsigned char *s = ASN1_STRING_get0_data(g->d.dNSName);
			int n = ASN1_STRING_length(g->d.dNSName);

			/* printable only: this goes to a log */
			for (int k = 0; k < n && k < (int)sizeof(t->peer) - 1; k++)
				t->peer[k] = s[k] >= 0x20 && s[k] < 0x7f ? (char)s[k] : '?';
			t->peer[n < (int)sizeof(t->peer) - 1 ? n : (int)sizeof(t->peer) - 1] = '\0';
			break;
		}
	}
	GENERAL_NAMES_free(names);
}

int
ctl_tls_handshake(struct ctl_tls *t, char *err, size_t err_len)
{
	int r;

	ERR_clear_error();
	r = SSL_do_handshake(t->ssl);
	if (r == 1) {
		peer_name(t);
		return 1;
	}
	r = again_or_fail(t, r);
	if (r == CTL_TLS_AGAIN)
		return r;
	if (SSL_get_verify_result(t->ssl) != X509_V_OK)
		snprintf(err, err_len, "TLS handshake: peer certificate: %s",
			 X509_verify_cert_error_string(SSL_get_verify_result(t->ssl)));
	else
		ssl_error(err, err_len, "TLS handshake", NULL);
	ERR_clear_error();
	return -1;
}

long
ctl_tls_read(struct ctl_tls *t, void *buf, size_t len)
{
	size_t n = 0;
	int r;

	ERR_clear_error();
	r = SSL_read_ex(t->ssl, buf, len, &n);
	if (r == 1)
		return (long)n;
	if (SSL_get_error(t->ssl, r) == SSL_ERROR_ZERO_RETURN)
		return 0;
	r = again_or_fail(t, r);
	ERR_clear_error();
	return r;
}

long
ctl_tls_write(struct ctl_tls *t, const void *buf, size_t len)
{
	size_t n = 0;
	int r;

	ERR_clear_error();
	r = SSL_write_ex(t->ssl, buf, len, &n);
	if (r == 1)
		return (long)n;
	r = again_or_fail(t, r);
	ERR_clear_error();
	return r;
}

const char *
ctl_tls_error(const struct ctl_tls *t)
{
	return t->err;
}

int
ctl_tls_pending(struct ctl_tls *t)
{
	return SSL_pending(t->ssl) > 0;
}

int
ctl_tls_want_write(const struct ctl_tls *t)
{
	return t->want_write;
}

const char *
ctl_tls_peer_name(const struct ctl_tls *t)
{
	return t->peer;
}

void
ctl_tls_free(struct ctl_tls *t)
{
	if (t == NULL)
		return;
	if (SSL_is_init_finished(t->ssl))
		SSL_shutdown(t->ssl); /* one try: never waits for the peer's reply */
	ERR_clear_error();
	SSL_free(t->ssl);
	free(t);
}
