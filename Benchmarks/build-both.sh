# Sourced by the comparison scripts: builds libbpf's timing program (installing libbpf-dev if
# missing) and parse-bench, and sets `work` (a temporary directory removed on exit), `theirs`
# and `ours` (the two programs' paths). Expects `here` (the Benchmarks directory).
if [ ! -f /usr/include/bpf/btf.h ]; then
    echo "installing libbpf-dev (the reference side)" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libbpf-dev >/dev/null
fi
work=$(mktemp -d)
# pinned.bpfel.o's maps are pinned by name at the default root by the loads of either side (and
# reused by later runs): the pins this run made are removed on exit, nothing else.
# (Only root loads; a clean-up that cannot remove a pin never fails the run.)
made_pins=()
if [ "$(id -u)" = 0 ]; then
    for name in shared_counts shared_flags; do [ -e "/sys/fs/bpf/$name" ] || made_pins+=("/sys/fs/bpf/$name"); done
fi
trap 'rm -rf "$work"; rm -f -- "${made_pins[@]}" 2>/dev/null || true' EXIT
theirs="$work/libbpf-bench"
cc -O2 -o "$theirs" "$here/libbpf/libbpf-bench.c" -lbpf
(cd "$here" && swift build -c release --product parse-bench >&2)
ours="$(cd "$here" && swift build -c release --show-bin-path)/parse-bench"
