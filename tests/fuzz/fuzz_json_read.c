/*
 * fuzz_json_read.c — libFuzzer target for sj_object(), the JSON object reader
 * (gateway/lib/json_read.h), which reads what bus peers send.
 *
 * Besides not crashing: every reported string is NUL-terminated within
 * SJ_STR_MAX, keys within SJ_KEY_MAX, and an accepted input stays accepted
 * with white space added around it (the grammar allows it there).
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/lib/json_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_member(void *data, const char *key, const struct sj_val *v)
{
	size_t *n = data;
	assert(strlen(key) <= SJ_KEY_MAX);
	if (v->type == SJ_STR) {
		assert(v->s_len <= SJ_STR_MAX);
		assert(v->s[v->s_len] == '\0');
	}
	assert(v->type >= SJ_NULL && v->type <= SJ_ARR);
	(*n)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t members = 0, again = 0;
	int rc = sj_object((const char *)data, size, check_member, &members);

	assert(rc == 0 || rc == -EIO || rc == -EINVAL);
	if (rc == 0) {
		char *wrapped = malloc(size + 2);
		if (!wrapped)
			return 0;
		wrapped[0] = ' ';
		memcpy(wrapped + 1, data, size);
		wrapped[size + 1] = '\n';
		assert(sj_object(wrapped, size + 2, check_member, &again) == 0);
		assert(again == members);
		free(wrapped);
	}
	return 0;
}
