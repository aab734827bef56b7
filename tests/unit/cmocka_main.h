/*
 * cmocka_main.h — what every cmocka program of tests/unit shares around its
 * main(): the test-name filter.  Include it in the program's one .c file
 * (everything here is static); it brings <cmocka.h>.
 *
 *   tests/unit/test_x [PATTERN]
 *	runs only the cases whose names match PATTERN, a cmocka glob (* and
 *	?); a bare WORD means *WORD*.  tests/check.sh unit X PATTERN passes it.
 *
 * The main() of every program:
 *
 *	test_args(argc, argv);
 *	return cmocka_run_group_tests(tests, setup, teardown);
 */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* test_args(argc, argv): the optional PATTERN; -h prints the usage. */
static inline void test_args(int argc, char **argv)
{
	static char glob[256];
	const char *a = argc > 1 ? argv[1] : "";

	if (argc > 2 || a[0] == '-') {
		int help = !strcmp(a, "-h") || !strcmp(a, "--help");

		fprintf(help ? stdout : stderr,
			"usage: %s [PATTERN]\n"
			"runs the cases whose names match PATTERN (a glob of * and ?;\n"
			"a bare WORD means *WORD*)\n", argv[0]);
		exit(help ? 0 : 2);
	}
	if (!a[0])
		return;
	/* cmocka keeps the pointer: argv's or the static glob's */
	if (strpbrk(a, "*?")) {
		cmocka_set_test_filter(a);
	} else {
		snprintf(glob, sizeof(glob), "*%s*", a);
		cmocka_set_test_filter(glob);
	}
}
