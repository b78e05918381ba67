/* ctl_addr.c: host and port of a control-channel address (see ctl_addr.h). */
#include <stdio.h>
#include <string.h>

#include "ctl_addr.h"

int
ctl_split_hostport(const char *s, char *host, size_t cap, const char **port)
{
	const char *e;

	if (s[0] == '[') {
		e = strchr(s, ']');
		if (e == NULL || e[1] != ':' || (size_t)(e - s) > cap)
			return -1;
		snprintf(host, cap, "%.*s", (int)(e - s - 1), s + 1);
		*port = e + 2;
		return 0;
	}
	e = strrchr(s, ':');
	if (e == NULL || (size_t)(e - s) >= cap)
		return -1;
	snprintf(host, cap, "%.*s", (int)(e - s), s);
	*port = e + 1;
	return 0;
}
