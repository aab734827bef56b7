/*
 * cmocka_main.h — what every cmocka program of tests/unit shares around its
 * main(): the test-name filter, the one seed variable, and a temporary
 * directory of its own.  Include it in the program's one .c file
 * (everything here is static); it brings <cmocka.h>.
 *
 *   tests/unit/test_x [PATTERN]
 *	runs only the cases whose names match PATTERN, a cmocka glob (* and
 *	?); a bare WORD means *WORD*.  tests/check.sh unit X PATTERN passes it.
 *
 *   TXGW_TEST_SEED=N
 *	the seed of every random case (test_seed()); unset, a random one.
 *	The program prints "seed: N (TXGW_TEST_SEED=N to repeat)" when a case
 *	fails (test_done()) or it dies (an abort, a sanitizer's report), and
 *	stays quiet otherwise.
 *
 *   test_tmpdir(), test_mkdtemp()
 *	a directory of the program's own under $TMPDIR (else /tmp), removed
 *	with everything in it at exit, after failed cases too: a test writes
 *	nowhere else, so a run leaves nothing behind.
 *
 * The main() of every program:
 *
 *	test_args(argc, argv);
 *	return test_done(cmocka_run_group_tests(tests, setup, teardown));
 */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* The sanitizer runtime's, linked only into the sanitizer build: a weak
 * reference is NULL elsewhere. */
void __sanitizer_set_death_callback(void (*cb)(void)) __attribute__((weak));

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
			"a bare WORD means *WORD*); TXGW_TEST_SEED=N repeats a random run\n",
			argv[0]);
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

/* The line a failure prints, made when the seed is drawn so that the
 * death paths need only write(2) it. */
static char test_seed_line[96];
static size_t test_seed_len;

static inline void test_print_seed(void)
{
	if (test_seed_len)
		(void)!write(STDERR_FILENO, test_seed_line, test_seed_len);
}

static inline void test_on_abort(int sig)
{
	test_print_seed();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* test_seed(): TXGW_TEST_SEED, else a random 32-bit one; the same value for
 * every call of one run, so that each random case seeds its own generator
 * from it and repeats alone (PATTERN) as in the whole run. */
static inline uint64_t test_seed(void)
{
	static uint64_t seed;
	const char *env;
	uint32_t r;

	if (test_seed_len)
		return seed;
	env = getenv("TXGW_TEST_SEED");
	if (env && env[0]) {
		seed = strtoull(env, NULL, 0);
	} else {
		if (getrandom(&r, sizeof(r), 0) != sizeof(r))
			r = (uint32_t)time(NULL) ^ (uint32_t)getpid() << 16;
		seed = r ? r : 1;	/* some generators stall on 0 */
	}
	test_seed_len = snprintf(test_seed_line, sizeof(test_seed_line),
				 "seed: %" PRIu64 " (TXGW_TEST_SEED=%" PRIu64 " to repeat)\n",
				 seed, seed);
	if (__sanitizer_set_death_callback)
		__sanitizer_set_death_callback(test_print_seed);
	signal(SIGABRT, test_on_abort);
	return seed;
}

/* test_done(failed): cmocka's count of failed cases, returned; prints the
 * seed when there are any and a case drew it. */
static inline int test_done(int failed)
{
	if (failed) {
		fflush(stdout);		/* after cmocka's own report */
		test_print_seed();
	}
	return failed;
}

static inline int test_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	if (remove(path) < 0)
		fprintf(stderr, "remove %s: %s\n", path, strerror(errno));
	return 0;			/* remove what can be */
}

/* test_rmtree(path): rm -rf without a shell. */
static inline int test_rmtree(const char *path)
{
	return nftw(path, test_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static char test_tmp[PATH_MAX];
static pid_t test_tmp_owner;

static inline void test_tmp_remove(void)
{
	/* a forked child's exit() must not take its parent's directory */
	if (getpid() == test_tmp_owner)
		test_rmtree(test_tmp);
}

/* test_tmpdir(): $TMPDIR/<program>.XXXXXX, made at the first call. */
static inline const char *test_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char path[sizeof(test_tmp)];

	if (test_tmp[0])
		return test_tmp;
	if (!base || !base[0])
		base = "/tmp";
	snprintf(path, sizeof(path), "%s/%s.XXXXXX", base, program_invocation_short_name);
	if (!mkdtemp(path))
		fail_msg("mkdtemp %s: %s", path, strerror(errno));
	strcpy(test_tmp, path);
	test_tmp_owner = getpid();
	atexit(test_tmp_remove);
	return test_tmp;
}

/* test_mkdtemp(buf, size, name): a new directory test_tmpdir()/name.XXXXXX
 * in buf, for a case or a fixture; returns buf. */
static inline char *test_mkdtemp(char *buf, size_t size, const char *name)
{
	if ((size_t)snprintf(buf, size, "%s/%s.XXXXXX", test_tmpdir(), name) >= size)
		fail_msg("test_mkdtemp: %s/%s too long for %zu bytes", test_tmpdir(), name, size);
	if (!mkdtemp(buf))
		fail_msg("mkdtemp %s: %s", buf, strerror(errno));
	return buf;
}
