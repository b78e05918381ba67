/* config.c: the YAML configuration (see config.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "config.h"

const struct config_key config_keys[] = {
#define X(path, type, def, text) {path, type, def, text},
	FOREACH_CONFIG_KEY(X)
#undef X
};
const unsigned int config_n_keys = sizeof(config_keys) / sizeof(config_keys[0]);

struct ctx {
	const char *file;
	yaml_document_t *doc;
	struct srtpfwd_config *c;
	char *err;
	size_t err_len;
	/* addresses name their port; resolved once every port is known */
	char addr_port[LOCAL_ADDR_MAX][64];
	yaml_mark_t addr_port_mark[LOCAL_ADDR_MAX];
};

static int __attribute__((format(printf, 3, 4)))
fail(struct ctx *x, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(x->err, x->err_len, "%s:%zu:%zu: %s", x->file, n->start_mark.line + 1,
		 n->start_mark.column + 1, msg);
	return -1;
}

static const char *
kind(const yaml_node_t *n)
{
	return n->type == YAML_MAPPING_NODE    ? "a mapping"
	       : n->type == YAML_SEQUENCE_NODE ? "a list"
					       : "a value";
}

/* The scalar's text, or NULL with the error set. */
static const char *
scalar(struct ctx *x, const yaml_node_t *n, const char *path)
{
	if (n->type != YAML_SCALAR_NODE) {
		fail(x, n, "%s: expected a value, found %s", path, kind(n));
		return NULL;
	}
	return (const char *)n->data.scalar.value;
}

static int
str(struct ctx *x, const yaml_node_t *n, const char *path, char *dst, size_t cap)
{
	const char *s = scalar(x, n, path);

	if (s == NULL)
		return -1;
	if (s[0] == '\0' || strlen(s) >= cap)
		return fail(x, n, "%s: need 1 to %zu characters", path, cap - 1);
	strcpy(dst, s);
	return 0;
}

static int
uint_in(struct ctx *x, const yaml_node_t *n, const char *path, unsigned long min, unsigned long max,
	unsigned int *dst)
{
	const char *s = scalar(x, n, path);
	char *end;
	unsigned long v;

	if (s == NULL)
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0 || v < min || v > max)
		return fail(x, n, "%s: '%s' is not an integer in %lu..%lu", path, s, min, max);
	*dst = (unsigned int)v;
	return 0;
}

int
config_parse_ip(const char *s, uint8_t addr[16], uint8_t *ip6)
{
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, s, addr) == 1) {
		*ip6 = 0;
		return 0;
	}
	if (inet_pton(AF_INET6, s, addr) == 1) {
		*ip6 = 1;
		return 0;
	}
	return -1;
}

static yaml_node_t *
node(struct ctx *x, int i)
{
	return yaml_document_get_node(x->doc, i);
}

/* Is @p path a key, or a section holding keys? */
static int
known(const char *path)
{
	size_t n = strlen(path);

	for (unsigned int i = 0; i < config_n_keys; i++)
		if (strcmp(config_keys[i].path, path) == 0 ||
		    (strncmp(config_keys[i].path, path, n) == 0 && config_keys[i].path[n] == '.'))
			return 1;
	return 0;
}

typedef int (*key_fn)(struct ctx *x, const char *path, yaml_node_t *v, unsigned int item);

/* Each key of mapping @p m (prefix "a.b." or "") once, known keys only. */
static int
walk(struct ctx *x, yaml_node_t *m, const char *prefix, key_fn fn, unsigned int item)
{
	const char *seen[64];
	unsigned int n_seen = 0;

	if (m->type != YAML_MAPPING_NODE)
		return fail(x, m, "%s: expected a mapping, found %s",
			    prefix[0] ? prefix : "the document", kind(m));
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = node(x, p->key), *v = node(x, p->value);
		char path[128];
		const char *key;

		if (k->type != YAML_SCALAR_NODE)
			return fail(x, k, "a key must be a plain name");
		key = (const char *)k->data.scalar.value;
		snprintf(path, sizeof(path), "%s%s", prefix, key);
		if (!known(path))
			return fail(x, k, "unknown key '%s'", path);
		for (unsigned int i = 0; i < n_seen; i++)
			if (strcmp(seen[i], key) == 0)
				return fail(x, k, "'%s' given twice", path);
		if (n_seen < 64)
			seen[n_seen++] = key;
		if (fn(x, path, v, item) != 0)
			return -1;
	}
	return 0;
}

static int
port_key(struct ctx *x, const char *path, yaml_node_t *v, unsigned int i)
{
	struct daemon_config *d = &x->c->daemon;

	if (strcmp(path, "ports[].name") == 0)
		return str(x, v, path, x->c->port_name[i], sizeof(x->c->port_name[i]));
	return str(x, v, path, d->ports[i].dev, sizeof(d->ports[i].dev));
}

static int
addr_key(struct ctx *x, const char *path, yaml_node_t *v, unsigned int i)
{
	struct daemon_addr *a = &x->c->daemon.addrs[i];
	const char *s = scalar(x, v, path);
	char buf[80], *slash, *end;
	unsigned long pl;
	uint8_t fam;
	unsigned int vlan;

	if (s == NULL)
		return -1;
	if (strcmp(path, "addresses[].port") == 0) {
		if (strlen(s) >= sizeof(x->addr_port[i]))
			return fail(x, v, "%s: name too long", path);
		strcpy(x->addr_port[i], s);
		x->addr_port_mark[i] = v->start_mark;
		return 0;
	}
	if (strcmp(path, "addresses[].vlan") == 0) {
		if (uint_in(x, v, path, 1, 4094, &vlan) != 0)
			return -1;
		a->vlan = (uint16_t)vlan;
		return 0;
	}
	if (strcmp(path, "addresses[].gateway") == 0) {
		if (config_parse_ip(s, a->route.gw, &fam) != 0)
			return fail(x, v, "%s: '%s' is not an IPv4 or IPv6 address", path, s);
		a->route.has_gw = 1 + fam; /* family checked once ip is known */
		return 0;
	}
	/* addresses[].ip */
	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (slash == NULL)
		return fail(x, v, "%s: '%s' needs a prefix length (IP/PREFIX)", path, s);
	*slash++ = '\0';
	if (config_parse_ip(buf, a->addr, &a->ip6) != 0)
		return fail(x, v, "%s: '%s' is not an IPv4 or IPv6 address", path, buf);
	pl = strtoul(slash, &end, 10);
	if (*slash == '\0' || *end != '\0' || pl > (a->ip6 ? 128u : 32u))
		return fail(x, v, "%s: prefix '%s', need 0..%u", path, slash, a->ip6 ? 128 : 32);
	a->route.prefix_len = (uint8_t)pl;
	a->port = 0xff; /* "ip given" marker until the port is resolved */
	return 0;
}

static int
list_of(struct ctx *x, yaml_node_t *v, const char *path, unsigned int max, unsigned int *n,
	const char *prefix, key_fn fn)
{
	if (v->type != YAML_SEQUENCE_NODE)
		return fail(x, v, "%s: expected a list, found %s", path, kind(v));
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
	     it++) {
		if (*n == max)
			return fail(x, node(x, *it), "%s: at most %u", path, max);
		if (walk(x, node(x, *it), prefix, fn, *n) != 0)
			return -1;
		(*n)++;
	}
	return 0;
}

static int
strings(struct ctx *x, yaml_node_t *v, const char *path, char (*dst)[CONFIG_STR_MAX],
	unsigned int max, unsigned int *n)
{
	if (v->type != YAML_SEQUENCE_NODE)
		return fail(x, v, "%s: expected a list, found %s", path, kind(v));
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
	     it++) {
		if (*n == max)
			return fail(x, node(x, *it), "%s: at most %u entries", path, max);
		if (str(x, node(x, *it), path, dst[*n], CONFIG_STR_MAX) != 0)
			return -1;
		(*n)++;
	}
	return 0;
}

static int
top_key(struct ctx *x, const char *path, yaml_node_t *v, unsigned int item)
{
	struct srtpfwd_config *c = x->c;
	struct daemon_config *d = &c->daemon;
	unsigned int n, a, b;
	const char *s;

	(void)item;
	if (strcmp(path, "eal") == 0)
		return strings(x, v, path, c->eal, CONFIG_EAL_MAX, &c->n_eal);
	if (strcmp(path, "ports") == 0)
		return list_of(x, v, path, WORKER_PORTS_MAX, &d->n_ports, "ports[].", port_key);
	if (strcmp(path, "addresses") == 0)
		return list_of(x, v, path, LOCAL_ADDR_MAX, &d->n_addrs, "addresses[].", addr_key);
	if (strcmp(path, "limits") == 0 || strcmp(path, "control") == 0 ||
	    strcmp(path, "queues") == 0 || strcmp(path, "control.tls") == 0 ||
	    strcmp(path, "log") == 0 || strcmp(path, "metrics") == 0) {
		char prefix[64];

		snprintf(prefix, sizeof(prefix), "%s.", path);
		return walk(x, v, prefix, top_key, 0);
	}
	if (strcmp(path, "control.tls.allow") == 0)
		return strings(x, v, path, c->tls_allow, CTL_TLS_NAMES_MAX, &c->n_allow);
	if (strcmp(path, "control.unix") == 0)
		return str(x, v, path, c->ctl_unix, sizeof(c->ctl_unix));
	if (strcmp(path, "control.tls.listen") == 0)
		return str(x, v, path, c->tls_listen, sizeof(c->tls_listen));
	if (strcmp(path, "control.tls.ca") == 0)
		return str(x, v, path, c->tls_ca, sizeof(c->tls_ca));
	if (strcmp(path, "control.tls.cert") == 0)
		return str(x, v, path, c->tls_cert, sizeof(c->tls_cert));
	if (strcmp(path, "control.tls.key") == 0)
		return str(x, v, path, c->tls_key, sizeof(c->tls_key));
	if (strcmp(path, "metrics.listen") == 0)
		return str(x, v, path, c->metrics_listen, sizeof(c->metrics_listen));
	if ((s = scalar(x, v, path)) == NULL)
		return -1;
	if (strcmp(path, "media_ports") == 0) {
		char tail;

		if (sscanf(s, "%u-%u%c", &a, &b, &tail) != 2 || a == 0 || b > 65535 || a >= b)
			return fail(x, v, "%s: '%s': need MIN-MAX, 1 <= MIN < MAX <= 65535", path,
				    s);
		d->port_min = (uint16_t)a;
		d->port_max = (uint16_t)b;
		return 0;
	}
	if (strcmp(path, "control.unix_mode") == 0) {
		char *end;
		unsigned long m = strtoul(s, &end, 8);

		if (s[0] == '\0' || *end != '\0' || m > 0777 || (m & 0600) != 0600)
			return fail(x, v,
				    "%s: '%s': need an octal mode up to 0777 that lets the "
				    "owner read and write",
				    path, s);
		c->ctl_unix_mode = (unsigned int)m;
		return 0;
	}
	if (strcmp(path, "log.level") == 0) {
		static const char *const lv[] = {"emerg",   "alert",  "crit", "error",
						 "warning", "notice", "info", "debug"};

		for (unsigned int i = 0; i < 8; i++)
			if (strcmp(s, lv[i]) == 0) {
				c->log_level = i + 1; /* RTE_LOG_EMERG is 1 */
				return 0;
			}
		return fail(x, v,
			    "%s: '%s': need one of emerg, alert, crit, error, warning, "
			    "notice, info, debug",
			    path, s);
	}
	if (strcmp(path, "queues.rx_desc") == 0 || strcmp(path, "queues.tx_desc") == 0) {
		if (uint_in(x, v, path, 64, 16384, &n) != 0)
			return -1;
		*(path[7] == 'r' ? &d->rx_desc : &d->tx_desc) = (uint16_t)n;
	} else if (strcmp(path, "workers") == 0) {
		if (uint_in(x, v, path, 0, 64, &n) != 0)
			return -1;
		d->max_workers = n;
	} else if (strcmp(path, "mbufs") == 0) {
		if (uint_in(x, v, path, 0, 1u << 30, &n) != 0)
			return -1;
		d->mbufs = n;
	} else if (strcmp(path, "limits.sessions") == 0) {
		if (uint_in(x, v, path, 1, (1u << 30) - 1, &n) != 0)
			return -1;
		d->max_sessions = n;
	} else if (strcmp(path, "limits.neighbours") == 0) {
		if (uint_in(x, v, path, 1, 65535, &n) != 0)
			return -1;
		d->max_neighbours = n;
	} else if (strcmp(path, "limits.clients") == 0) {
		return uint_in(x, v, path, 1, 100000, &c->ctl_clients);
	} else if (strcmp(path, "control.idle_timeout_s") == 0) {
		return uint_in(x, v, path, 1, 1000000, &c->ctl_idle_s);
	} else if (strcmp(path, "stats_interval_s") == 0) {
		return uint_in(x, v, path, 0, 86400, &c->stats_s);
	} else {
		return fail(x, v, "%s: is a section, not a value", path);
	}
	return 0;
}

/* What needs the whole file: ports named by addresses, families, TLS. */
static int
check_whole(struct ctx *x, yaml_node_t *root)
{
	struct srtpfwd_config *c = x->c;
	struct daemon_config *d = &c->daemon;

	if (d->n_ports == 0)
		return fail(x, root, "'ports' is required: at least one port");
	for (unsigned int i = 0; i < d->n_ports; i++) {
		if (d->ports[i].dev[0] == '\0')
			return fail(x, root, "ports[%u]: 'dev' is required", i);
		if (c->port_name[i][0] == '\0')
			snprintf(c->port_name[i], sizeof(c->port_name[i]), "port%u", i);
		for (unsigned int j = 0; j < i; j++)
			if (strcmp(c->port_name[i], c->port_name[j]) == 0)
				return fail(x, root, "ports[%u]: name '%s' is also ports[%u]'s", i,
					    c->port_name[i], j);
	}
	if (d->n_addrs == 0)
		return fail(x, root, "'addresses' is required: at least one address");
	for (unsigned int i = 0; i < d->n_addrs; i++) {
		struct daemon_addr *a = &d->addrs[i];
		yaml_node_t at = {.start_mark = x->addr_port_mark[i]};
		unsigned int p;
		char *end;

		if (a->port != 0xff)
			return fail(x, root, "addresses[%u]: 'ip' is required", i);
		if (x->addr_port[i][0] == '\0')
			return fail(x, root, "addresses[%u]: 'port' is required", i);
		for (p = 0; p < d->n_ports; p++)
			if (strcmp(x->addr_port[i], c->port_name[p]) == 0)
				break;
		if (p == d->n_ports) {
			unsigned long v = strtoul(x->addr_port[i], &end, 10);

			if (*end != '\0' || v >= d->n_ports)
				return fail(x, &at,
					    "addresses[%u].port: '%s' is neither a port name nor "
					    "an index below %u",
					    i, x->addr_port[i], d->n_ports);
			p = (unsigned int)v;
		}
		a->port = (uint8_t)p;
		if (a->route.has_gw && a->route.has_gw - 1 != a->ip6)
			return fail(x, root,
				    "addresses[%u]: gateway and ip are of different families", i);
		a->route.has_gw = a->route.has_gw != 0;
	}
	if (c->tls_listen[0] && (!c->tls_ca[0] || !c->tls_cert[0] || !c->tls_key[0]))
		return fail(x, root,
			    "control.tls: 'listen' needs 'ca', 'cert' and 'key' (there "
			    "is no plaintext TCP)");
	if (!c->tls_listen[0] && (c->tls_ca[0] || c->tls_cert[0] || c->tls_key[0] || c->n_allow))
		return fail(x, root, "control.tls: 'ca', 'cert', 'key' and 'allow' need 'listen'");
	return 0;
}

int
config_load(const char *path, struct srtpfwd_config *c, char *err, size_t err_len)
{
	struct ctx x = {.file = path, .c = c, .err = err, .err_len = err_len};
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	FILE *f = fopen(path, "r");
	int r = -1;

	memset(c, 0, sizeof(*c));
	if (f == NULL) {
		snprintf(err, err_len, "%s: %s", path, strerror(errno));
		return -1;
	}
	c->daemon.port_min = 16384;
	c->daemon.port_max = 32767;
	c->daemon.max_sessions = 10000;
	c->ctl_unix_mode = 0660;
	c->stats_s = 10;
	c->log_level = 7; /* info */
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(err, err_len, "%s:%zu:%zu: %s", path, parser.problem_mark.line + 1,
			 parser.problem_mark.column + 1,
			 parser.problem ? parser.problem : "not YAML");
		goto out_parser;
	}
	x.doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (root == NULL)
		snprintf(err, err_len, "%s:1:1: the file is empty", path);
	else if (walk(&x, root, "", top_key, 0) == 0 && check_whole(&x, root) == 0)
		r = 0;
	yaml_document_delete(&doc);
out_parser:
	yaml_parser_delete(&parser);
	fclose(f);
	if (r != 0)
		memset(c, 0, sizeof(*c));
	return r;
}

int
config_ctl(const struct srtpfwd_config *c, struct ctl_server_config *o)
{
	memset(o, 0, sizeof(*o));
	o->unix_path = c->ctl_unix[0] ? c->ctl_unix : NULL;
	o->unix_mode = c->ctl_unix_mode;
	o->tls_listen = c->tls_listen[0] ? c->tls_listen : NULL;
	o->tls.ca_file = c->tls_ca[0] ? c->tls_ca : NULL;
	o->tls.cert_file = c->tls_cert[0] ? c->tls_cert : NULL;
	o->tls.key_file = c->tls_key[0] ? c->tls_key : NULL;
	for (unsigned int i = 0; i < c->n_allow; i++)
		o->tls.allowed_names[i] = c->tls_allow[i];
	o->tls.n_allowed = c->n_allow;
	o->max_clients = c->ctl_clients;
	o->idle_ms = c->ctl_idle_s * 1000;
	return o->unix_path != NULL || o->tls_listen != NULL;
}

int
config_metrics(const struct srtpfwd_config *c, struct metrics_config *o)
{
	memset(o, 0, sizeof(*o));
	o->listen = c->metrics_listen[0] ? c->metrics_listen : NULL;
	return o->listen != NULL;
}
