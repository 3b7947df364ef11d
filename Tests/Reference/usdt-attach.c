// The reference side of the USDT tests: libbpf's own USDT attach (bpf_program__attach_usdt).
// Usage: usdt-attach OBJECT BINARY ROUNDS
// Loads OBJECT, attaches each program on_<probe> to USDT swiftbpf:<probe> of BINARY (cookie
// 0xc00c1e for `args`, as the Swift test does), runs BINARY ROUNDS, and prints each variable of
// the object's .bss as `name=hex bytes`. Built by the tests with `cc -O2 usdt-attach.c -lbpf`.
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: usdt-attach OBJECT BINARY ROUNDS\n");
		return 2;
	}
	struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "cannot load %s\n", argv[1]);
		return 1;
	}
	struct bpf_link *links[16];
	int nlinks = 0;
	struct bpf_program *prog;
	bpf_object__for_each_program(prog, obj) {
		const char *name = bpf_program__name(prog);
		if (strncmp(name, "on_", 3) != 0 || nlinks == 16)
			continue;
		LIBBPF_OPTS(bpf_usdt_opts, opts, .usdt_cookie = strcmp(name + 3, "args") ? 0 : 0xc00c1e);
		links[nlinks] = bpf_program__attach_usdt(prog, -1, argv[2], "swiftbpf", name + 3, &opts);
		if (!links[nlinks]) {
			fprintf(stderr, "cannot attach %s\n", name);
			return 1;
		}
		nlinks++;
	}
	pid_t child = fork();
	if (child == 0) {
		execl(argv[2], argv[2], argv[3], (char *)NULL);
		_exit(127);
	}
	int status;
	waitpid(child, &status, 0);
	struct bpf_map *map, *bss = NULL;
	bpf_object__for_each_map(map, obj) {
		const char *name = bpf_map__name(map);
		size_t len = strlen(name);
		if (len >= 4 && !strcmp(name + len - 4, ".bss"))
			bss = map;
	}
	struct btf *btf = bpf_object__btf(obj);
	int id = btf ? btf__find_by_name_kind(btf, ".bss", BTF_KIND_DATASEC) : -1;
	if (!bss || id < 0) {
		fprintf(stderr, "no .bss\n");
		return 1;
	}
	size_t size = bpf_map__value_size(bss);
	unsigned char *value = calloc(1, size);
	int key = 0;
	if (bpf_map__lookup_elem(bss, &key, sizeof(key), value, size, 0)) {
		fprintf(stderr, "cannot read .bss\n");
		return 1;
	}
	const struct btf_type *datasec = btf__type_by_id(btf, id);
	const struct btf_var_secinfo *vars = btf_var_secinfos(datasec);
	for (int i = 0; i < btf_vlen(datasec); i++) {
		const struct btf_type *var = btf__type_by_id(btf, vars[i].type);
		printf("%s=", btf__name_by_offset(btf, var->name_off));
		for (unsigned j = 0; j < vars[i].size; j++)
			printf("%02x", value[vars[i].offset + j]);
		printf("\n");
	}
	for (int i = 0; i < nlinks; i++)
		bpf_link__destroy(links[i]);
	bpf_object__close(obj);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
