/* stats.c: names of the drop reasons (see stats.h). */
#include "stats.h"

static const char *const drop_names[DROP_MAX] = {[DROP_NONE] = "none",
#define X(name, lower, text) [DROP_##name] = #lower,
						 FOREACH_DROP(X)
#undef X
};

static const char *const drop_texts[DROP_MAX] = {[DROP_NONE] = "not dropped",
#define X(name, lower, text) [DROP_##name] = text,
						 FOREACH_DROP(X)
#undef X
};

const char *
drop_reason_name(enum drop_reason r)
{
	return (unsigned)r < DROP_MAX ? drop_names[r] : "unknown";
}

const char *
drop_reason_text(enum drop_reason r)
{
	return (unsigned)r < DROP_MAX ? drop_texts[r] : "unknown";
}
