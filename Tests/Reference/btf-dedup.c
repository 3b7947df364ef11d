// The reference side of the BTF deduplication tests: libbpf's btf__add_btf and btf__dedup.
// Usage: btf-dedup [--base BTF] OUT INPUT...  (INPUT: an ELF object with .BTF, or raw BTF)
// Concatenates the inputs' types into one BTF (split on BASE when given), deduplicates it and
// writes it raw to OUT. Built by the tests with `cc -O2 btf-dedup.c -lbpf`.
#include <bpf/btf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	struct btf *base = NULL, *out;
	int arg = 1;

	if (argc > 2 && !strcmp(argv[1], "--base")) {
		base = btf__parse(argv[2], NULL);
		if (!base) {
			fprintf(stderr, "%s: cannot read: %d\n", argv[2], errno);
			return 1;
		}
		arg = 3;
	}
	if (argc - arg < 2) {
		fprintf(stderr, "usage: btf-dedup [--base BTF] OUT INPUT...\n");
		return 2;
	}
	/* libbpf 1.1's btf__add_btf refuses split BTF: one split input is deduplicated as it is read. */
	if (base && argc - arg == 2) {
		out = btf__parse_split(argv[arg + 1], base);
		if (!out) {
			fprintf(stderr, "%s: cannot read: %d\n", argv[arg + 1], errno);
			return 1;
		}
	} else {
		out = base ? btf__new_empty_split(base) : btf__new_empty();
	}
	for (int i = arg + 1; i < argc && !(base && argc - arg == 2); i++) {
		struct btf *in = base ? btf__parse_split(argv[i], base) : btf__parse(argv[i], NULL);
		int err;

		if (!in) {
			fprintf(stderr, "%s: cannot read: %d\n", argv[i], errno);
			return 1;
		}
		err = btf__add_btf(out, in);
		if (err < 0) {
			fprintf(stderr, "%s: btf__add_btf: %d\n", argv[i], err);
			return 1;
		}
		btf__free(in);
	}
	if (btf__dedup(out, NULL)) {
		fprintf(stderr, "btf__dedup failed: %d\n", errno);
		return 1;
	}
	__u32 size;
	const void *data = btf__raw_data(out, &size);
	FILE *f = fopen(argv[arg], "wb");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f)) {
		fprintf(stderr, "%s: cannot write\n", argv[arg]);
		return 1;
	}
	return 0;
}
