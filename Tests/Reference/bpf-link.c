// The reference side of the static linking tests: libbpf's bpf_linker, the code behind
// `bpftool gen object`, from the libbpf-dev the tests build against (bpftool may bundle an
// older libbpf; see StaticLinkTests). Usage: bpf-link OUT INPUT...
// Built by the tests with `cc -O2 bpf-link.c -lbpf`.
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	struct bpf_linker *linker;

	if (argc < 3) {
		fprintf(stderr, "usage: bpf-link OUT INPUT...\n");
		return 2;
	}
	linker = bpf_linker__new(argv[1], NULL);
	if (!linker) {
		fprintf(stderr, "%s: cannot create: %d\n", argv[1], errno);
		return 1;
	}
	for (int i = 2; i < argc; i++) {
		if (bpf_linker__add_file(linker, argv[i], NULL)) {
			fprintf(stderr, "%s: cannot link: %d\n", argv[i], errno);
			bpf_linker__free(linker);
			remove(argv[1]);
			return 1;
		}
	}
	if (bpf_linker__finalize(linker)) {
		fprintf(stderr, "cannot finalize: %d\n", errno);
		bpf_linker__free(linker);
		remove(argv[1]);
		return 1;
	}
	bpf_linker__free(linker);
	return 0;
}
