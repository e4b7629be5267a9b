/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CTG_TEST_H_
#define CTG_TEST_H_

/**
 * @file
 * A tiny TAP harness: a NULL-terminated table of cases, assert macros that report the
 * file and line, exit status 0 (all passed), 1 (a failure) or 77 (skipped).
 *
 *   static const struct ctg_test_case cases[] = { { "name", fn }, { NULL, NULL } };
 *   int main(void) { return ctg_test_run(cases); }
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ctg_test_case {
	const char *name;
	int (*fn)(void); /* 0 pass, 1 fail, 77 skip */
};

#define CTG_TEST_SKIP 77

#define CTG_ASSERT(cond, ...)                                                            \
	do {                                                                             \
		if (!(cond)) {                                                           \
			printf("# %s:%d: assertion failed: %s: ", __FILE__, __LINE__, #cond); \
			printf(__VA_ARGS__);                                             \
			printf("\n");                                                    \
			return 1;                                                        \
		}                                                                        \
	} while (0)

#define CTG_ASSERT_EQ(a, b)                                                              \
	CTG_ASSERT((long long)(a) == (long long)(b), "%s = %lld, %s = %lld", #a,           \
			(long long)(a), #b, (long long)(b))

static inline int
ctg_test_run(const struct ctg_test_case *cases)
{
	int n = 0, failed = 0, skipped = 0;

	for (const struct ctg_test_case *c = cases; c->name != NULL; c++)
		n++;
	printf("1..%d\n", n);
	n = 0;
	for (const struct ctg_test_case *c = cases; c->name != NULL; c++) {
		int rc = c->fn();

		n++;
		if (rc == 0) {
			printf("ok %d - %s\n", n, c->name);
		} else if (rc == CTG_TEST_SKIP) {
			printf("ok %d - %s # SKIP\n", n, c->name);
			skipped++;
		} else {
			printf("not ok %d - %s\n", n, c->name);
			failed++;
		}
		fflush(stdout);
	}
	if (failed)
		return 1;
	return skipped == n && n > 0 ? CTG_TEST_SKIP : 0;
}

#endif /* CTG_TEST_H_ */
