/* test_protocol_doc.c: docs/protocol.md follows control/proto.h field for
 * field. Every message type, status and attribute of proto.h's tables must
 * appear in the document as its table row, with the same value, name and
 * text; and the document may name no attribute type that proto.h lacks.
 */
#include <stdlib.h>

#include "../test.h"

#include "control/proto.h"

static char *DOC;

static void
row(const char *line)
{
	test_checks++;
	if (strstr(DOC, line) == NULL) {
		test_failed_checks++;
		fprintf(stderr, "docs/protocol.md lacks the row: %s\n", line);
	}
}

TEST(messages_statuses_attributes)
{
	char line[256];

#define X(name, value, text)                                                                       \
	snprintf(line, sizeof(line), "| 0x%02x | %s | %s |", value, #name, text);                  \
	row(line);
	FOREACH_MSG(X)
#undef X
#define X(name, value, text)                                                                       \
	snprintf(line, sizeof(line), "| %d | %s | %s |", value, #name, text);                      \
	row(line);
	FOREACH_STATUS(X)
#undef X
#define X(name, value, text)                                                                       \
	snprintf(line, sizeof(line), "| 0x%04x | %s | %s |", value, #name, text);                  \
	row(line);
	FOREACH_ATTR(X)
#undef X
#define X(name, value)                                                                             \
	snprintf(line, sizeof(line), "| %d | %s |", value, #name);                                 \
	row(line);
	FOREACH_SUITE_ID(X)
#undef X
}

/* Every "| 0x00NN | NAME |" row in the document is an attribute proto.h has. */
TEST(no_stray_attributes)
{
	for (const char *p = strstr(DOC, "| 0x00"); p != NULL; p = strstr(p + 1, "| 0x00")) {
		unsigned int v;
		char name[64];

		if (sscanf(p, "| 0x%4x | %63[A-Z_0-9] |", &v, name) != 2)
			continue;
		test_checks++;
		if (strcmp(proto_attr_name(v), name) != 0) {
			test_failed_checks++;
			fprintf(stderr, "docs/protocol.md: attribute 0x%04x %s, proto.h says %s\n",
				v, name, proto_attr_name(v));
		}
	}
}

int
main(void)
{
	const char *path = getenv("SRTPFWD_PROTOCOL_DOC");
	FILE *f = path ? fopen(path, "rb") : NULL;
	long n;

	if (f == NULL) {
		fprintf(stderr, "SRTPFWD_PROTOCOL_DOC: cannot open %s\n", path ? path : "(unset)");
		return 1;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	DOC = calloc(1, (size_t)n + 1);
	if (DOC == NULL || fread(DOC, 1, (size_t)n, f) != (size_t)n)
		return 1;
	fclose(f);
	return test_run_all();
}
