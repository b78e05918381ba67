/* test.h: the smallest test harness that does the job.
 *
 * TEST(name) { ... } defines a test; CHECK* record failures with file:line
 * and keep going; TEST_MAIN() runs every TEST in the file in order, prints
 * "ok"/"FAIL" per test and exits non-zero if any failed. No framework.
 */
#ifndef SRTPFWD_TEST_H
#define SRTPFWD_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_failed_checks;
static unsigned long test_checks;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		test_checks++;                                                                     \
		if (!(cond)) {                                                                     \
			test_failed_checks++;                                                      \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
		}                                                                                  \
	} while (0)

#define CHECK_EQ(a, b)                                                                             \
	do {                                                                                       \
		long long _a = (long long)(a), _b = (long long)(b);                                \
		test_checks++;                                                                     \
		if (_a != _b) {                                                                    \
			test_failed_checks++;                                                      \
			fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", __FILE__,        \
				__LINE__, #a, #b, _a, _b);                                         \
		}                                                                                  \
	} while (0)

#define CHECK_MEM(a, b, n)                                                                         \
	do {                                                                                       \
		test_checks++;                                                                     \
		if (memcmp((a), (b), (n)) != 0) {                                                  \
			test_failed_checks++;                                                      \
			fprintf(stderr, "%s:%d: %s and %s differ (%zu bytes)\n", __FILE__,         \
				__LINE__, #a, #b, (size_t)(n));                                    \
		}                                                                                  \
	} while (0)

/* Stop the test at the first failure inside a loop of thousands of cases. */
#define REQUIRE(cond)                                                                              \
	do {                                                                                       \
		int _ok = !!(cond); /* evaluated once: cond may have side effects */               \
		test_checks++;                                                                     \
		if (!_ok) {                                                                        \
			test_failed_checks++;                                                      \
			fprintf(stderr, "%s:%d: required: %s\n", __FILE__, __LINE__, #cond);       \
			return;                                                                    \
		}                                                                                  \
	} while (0)

typedef void (*test_fn)(void);
struct test_case {
	const char *name;
	test_fn fn;
};
#define TEST_MAX 128
static struct test_case test_cases[TEST_MAX];
static int test_count;

#define TEST(name)                                                                                 \
	static void test_##name(void);                                                             \
	__attribute__((constructor)) static void reg_##name(void)                                  \
	{                                                                                          \
		if (test_count < TEST_MAX)                                                         \
			test_cases[test_count++] = (struct test_case){#name, test_##name};         \
	}                                                                                          \
	static void test_##name(void)

static inline int
test_run_all(void)
{
	int bad = 0;
	const char *only = getenv("TEST_ONLY"); /* run one test by name */

	for (int t = 0; t < test_count; t++) {
		int before = test_failed_checks;

		if (only != NULL && strcmp(only, test_cases[t].name) != 0)
			continue;

		test_cases[t].fn();
		int f = test_failed_checks != before;
		bad += f;
		printf("%s %s\n", f ? "FAIL" : "ok  ", test_cases[t].name);
		fflush(stdout);
	}
	printf("%d of %d tests failed, %lu checks\n", bad, test_count, test_checks);
	return bad ? 1 : 0;
}

#define TEST_MAIN()                                                                                \
	int main(void)                                                                             \
	{                                                                                          \
		return test_run_all();                                                             \
	}

/* A deterministic pseudo-random sequence (xorshift64) for randomized
 * tests: test_seed() it with a nonzero value, then test_rand64() for all 64
 * bits of state or test_rand() for 32 of them. */
static uint64_t test_rng_state = 0x9e3779b97f4a7c15ull;

static inline void
test_seed(uint64_t seed)
{
	test_rng_state = seed;
}

static inline uint64_t
test_rand64(void)
{
	test_rng_state ^= test_rng_state << 13;
	test_rng_state ^= test_rng_state >> 7;
	test_rng_state ^= test_rng_state << 17;
	return test_rng_state;
}

static inline uint32_t
test_rand(void)
{
	return (uint32_t)(test_rand64() >> 16);
}

#endif
