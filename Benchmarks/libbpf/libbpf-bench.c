// libbpf-bench OP FILE...: the libbpf side of compare-libbpf.sh.
//
// Times the same operations as parse-bench, the same way (inputs read into
// memory first, one warm-up call, then a loop of at least BENCH_SECONDS,
// default 1, and 5 runs; median),
// and prints the same line format:
//   op=<op> input=<path> bytes=<n> median_us=<x> runs=<n> user_us=<x>
// (user_us: user-space CPU time per run, from getrusage over the loop).
// Operations: btf (btf__new on the file's bytes, or btf__parse_elf's work on
// an object's .BTF via btf__new_split-free btf__parse for ELF), object
// (bpf_object__open_mem), load (bpf_object__open_mem + bpf_object__load +
// close: kernel time included), btf-lookup (1,000 btf__find_by_name_kind), dedup
// (btf__new + btf__dedup of raw BTF: parse included, as parse-bench's dedup does).
// Two operations take all the files as one input: dedup-all (each file's BTF, raw or an
// object's .BTF, read with btf__new, appended with btf__add_btf, then btf__dedup) and link
// (bpf_linker__new, bpf_linker__add_file of each, bpf_linker__finalize: the files are read
// from disk and the output written to /dev/shm each run, as the linker API does).
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static double user_us(void)
{
	struct rusage usage;
	getrusage(RUSAGE_SELF, &usage);
	return usage.ru_utime.tv_sec * 1e6 + usage.ru_utime.tv_usec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void *read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 20, len = 0;
	char *buf = malloc(cap);
	size_t n;
	while ((n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap)
			buf = realloc(buf, cap *= 2);
	}
	fclose(f);
	*size = len;
	return buf;
}

static int silent(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return 0;
}

struct job {
	const char *op;
	/* dedup-all and link: every input */
	char **paths;
	void **blobs;
	size_t *sizes;
	int count;
	void *data;
	size_t size;
	struct btf *btf;
	char **names;
	int *kinds;
	int nnames;
};

static int run_once(struct job *j)
{
	if (!strcmp(j->op, "btf")) {
		struct btf *btf = btf__new(j->data, j->size);
		if (!btf)
			return -1;
		btf__free(btf);
	} else if (!strcmp(j->op, "object")) {
		LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "bench");
		struct bpf_object *obj = bpf_object__open_mem(j->data, j->size, &opts);
		if (!obj)
			return -1;
		bpf_object__close(obj);
	} else if (!strcmp(j->op, "load")) {
		LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "bench");
		struct bpf_object *obj = bpf_object__open_mem(j->data, j->size, &opts);
		if (!obj)
			return -1;
		int err = bpf_object__load(obj);
		bpf_object__close(obj);
		if (err)
			return -1;
	} else if (!strcmp(j->op, "dedup")) {
		struct btf *btf = btf__new(j->data, j->size);
		if (!btf)
			return -1;
		int err = btf__dedup(btf, NULL);
		btf__free(btf);
		if (err)
			return -1;
	} else if (!strcmp(j->op, "dedup-all")) {
		struct btf *all = btf__new_empty();
		for (int i = 0; i < j->count; i++) {
			struct btf *one = btf__new(j->blobs[i], j->sizes[i]);
			int err = one ? btf__add_btf(all, one) : -1;
			btf__free(one);
			if (err < 0) {
				btf__free(all);
				return -1;
			}
		}
		int err = btf__dedup(all, NULL);
		btf__free(all);
		if (err)
			return -1;
	} else if (!strcmp(j->op, "link")) {
		char output[64];
		snprintf(output, sizeof(output), "/dev/shm/libbpf-bench-link-%d.o", (int)getpid());
		struct bpf_linker *linker = bpf_linker__new(output, NULL);
		if (!linker)
			return -1;
		int err = 0;
		for (int i = 0; i < j->count && !err; i++)
			err = bpf_linker__add_file(linker, j->paths[i], NULL);
		err = err ?: bpf_linker__finalize(linker);
		bpf_linker__free(linker);
		unlink(output);
		if (err)
			return -1;
	} else if (!strcmp(j->op, "btf-lookup")) {
		volatile int sink = 0;
		for (int i = 0; i < j->nnames; i++)
			sink += btf__find_by_name_kind(j->btf, j->names[i], j->kinds[i]);
	} else {
		return -1;
	}
	return 0;
}

/* The resident set now, in KiB (/proc/self/statm's second field). */
static long current_rss_kb(void)
{
	long pages = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Runs the job for at least min_us µs and 5 runs, then prints the line compare-libbpf.sh reads;
 * rss_growth_kb is the peak past the resident set before the job's first run (rss_before). */
static void time_job(struct job *j, const char *input, size_t bytes, double min_us, long rss_before)
{
	size_t cap = 1024, runs = 0;
	double *samples = malloc(cap * sizeof(double));
	double start = now_us(), user_start = user_us();
	do {
		double t0 = now_us();
		run_once(j);
		if (runs == cap)
			samples = realloc(samples, (cap *= 2) * sizeof(double));
		samples[runs++] = now_us() - t0;
	} while (now_us() - start < min_us || runs < 5);
	double user_per_run = (user_us() - user_start) / runs;
	qsort(samples, runs, sizeof(double), cmp_double);
	struct rusage usage;
	getrusage(RUSAGE_SELF, &usage);
	printf("op=%s input=%s bytes=%zu median_us=%.1f runs=%zu user_us=%.1f peak_rss_kb=%ld rss_growth_kb=%ld\n", j->op,
	       input, bytes, samples[runs / 2], runs, user_per_run, usage.ru_maxrss, usage.ru_maxrss - rss_before);
	free(samples);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: libbpf-bench btf|object|load|btf-lookup|dedup|dedup-all|link FILE...\n");
		return 2;
	}
	libbpf_set_print(silent);
	const char *seconds_env = getenv("BENCH_SECONDS");
	double min_us = (seconds_env ? atof(seconds_env) : 1.0) * 1e6;
	if (!strcmp(argv[1], "dedup-all") || !strcmp(argv[1], "link")) {
		struct job j = { .op = argv[1], .paths = argv + 2, .count = argc - 2 };
		j.blobs = calloc(j.count, sizeof(void *));
		j.sizes = calloc(j.count, sizeof(size_t));
		size_t total = 0;
		for (int i = 0; i < j.count; i++) {
			struct btf *btf = btf__parse(argv[2 + i], NULL);
			__u32 raw_size = 0;
			const void *raw = btf ? btf__raw_data(btf, &raw_size) : NULL;
			j.blobs[i] = malloc(raw_size ? raw_size : 1);
			if (raw)
				memcpy(j.blobs[i], raw, raw_size);
			j.sizes[i] = raw_size;
			btf__free(btf);
			size_t size;
			void *data = read_file(argv[2 + i], &size);
			total += data ? size : 0;
			free(data);
		}
		long rss_before = current_rss_kb();
		if (run_once(&j)) {
			printf("op=%s input=%s skipped: libbpf rejects it (%s)\n", argv[1], argv[2], strerror(errno));
			return 0;
		}
		char label[4096];
		snprintf(label, sizeof(label), "%s+%d", argv[2], j.count - 1);
		time_job(&j, label, total, min_us, rss_before);
		return 0;
	}
	for (int a = 2; a < argc; a++) {
		struct job j = { .op = argv[1] };
		j.data = read_file(argv[a], &j.size);
		if (!j.data) {
			printf("op=%s input=%s skipped: unreadable\n", argv[1], argv[a]);
			continue;
		}
		if (!strcmp(j.op, "btf") && j.size > 4 && !memcmp(j.data, "\177ELF", 4)) {
			// An object: time btf__new on its .BTF bytes, as parse-bench does.
			struct btf *whole = btf__parse_elf(argv[a], NULL);
			if (!whole) {
				printf("op=%s input=%s skipped: %s\n", argv[1], argv[a], strerror(errno));
				continue;
			}
			__u32 raw_size;
			const void *raw = btf__raw_data(whole, &raw_size);
			free(j.data);
			j.data = malloc(raw_size);
			memcpy(j.data, raw, raw_size);
			j.size = raw_size;
			btf__free(whole);
		}
		if (!strcmp(j.op, "btf-lookup")) {
			j.btf = btf__new(j.data, j.size);
			int n = btf__type_cnt(j.btf), step = n / 1000 > 0 ? n / 1000 : 1;
			j.names = calloc(1001, sizeof(char *));
			j.kinds = calloc(1001, sizeof(int));
			for (int id = 1; id < n && j.nnames < 1000; id += step) {
				const struct btf_type *t = btf__type_by_id(j.btf, id);
				if (!t->name_off)
					continue;
				j.names[j.nnames] = (char *)btf__name_by_offset(j.btf, t->name_off);
				j.kinds[j.nnames++] = btf_kind(t);
			}
		}
		long rss_before = current_rss_kb();
		if (run_once(&j)) {
			printf("op=%s input=%s skipped: libbpf rejects it (%s)\n", argv[1], argv[a], strerror(errno));
			continue;
		}
		time_job(&j, argv[a], j.size, min_us, rss_before);
		free(j.data);
	}
	return 0;
}
