/*
 * replay.c - run one fuzz target's harness (LLVMFuzzerTestOneInput) over
 * stored inputs without libFuzzer: its seed corpus and every input that once
 * crashed it. Built with gcc and the sanitizers into a unit-test binary.
 *
 * Usage: replay_NAME DIR...   prints "ok - NAME: FILE" per input and a
 * summary "replay NAME: N inputs"; a crash or sanitizer report ends it.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FUZZ_NAME
#define FUZZ_NAME "?"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long len;

	if (!f)
		return -1;
	if (fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) ||
	    !(buf = malloc((size_t)len + 1)) || fread(buf, 1, (size_t)len, f) != (size_t)len) {
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	printf("# %s: %s (%ld bytes)\n", FUZZ_NAME, path, len);
	fflush(stdout);
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	free(buf);
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int main(int argc, char **argv)
{
	unsigned int n = 0;
	int i, j, k;

	for (i = 1; i < argc; i++) {
		struct dirent **e;
		char path[4096];

		k = scandir(argv[i], &e, NULL, by_name);
		if (k < 0)
			continue;   /* a target with no crash inputs has no such folder */
		for (j = 0; j < k; j++) {
			if (e[j]->d_name[0] != '.') {
				snprintf(path, sizeof(path), "%s/%s", argv[i], e[j]->d_name);
				if (run_file(path)) {
					fprintf(stderr, "replay %s: cannot read %s\n", FUZZ_NAME, path);
					return 1;
				}
				n++;
			}
			free(e[j]);
		}
		free(e);
	}
	printf("replay %s: %u inputs\n", FUZZ_NAME, n);
	return n ? 0 : 1;
}
