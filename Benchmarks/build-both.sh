# Sourced by the comparison scripts: builds libbpf's timing program (installing libbpf-dev if
# missing) and parse-bench, and sets `work` (a temporary directory removed on exit), `theirs`
# and `ours` (the two programs' paths). Expects `here` (the Benchmarks directory).
if [ ! -f /usr/include/bpf/btf.h ]; then
    echo "installing libbpf-dev (the reference side)" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libbpf-dev >/dev/null
fi
work=$(mktemp -d)
# Loads of objects that pin maps by name (pinned.bpfel.o) leave pins under /sys/fs/bpf, reused by
# later runs of either side; the ones that appeared while this ran are removed on exit.
pins_before=$(ls /sys/fs/bpf 2>/dev/null | sort || true)
remove_new_pins() {
    comm -13 <(echo "$pins_before") <(ls /sys/fs/bpf 2>/dev/null | sort) | while read -r pin; do
        [ -f "/sys/fs/bpf/$pin" ] && rm -f "/sys/fs/bpf/$pin"
    done
}
trap 'rm -rf "$work"; remove_new_pins' EXIT
theirs="$work/libbpf-bench"
cc -O2 -o "$theirs" "$here/libbpf/libbpf-bench.c" -lbpf
(cd "$here" && swift build -c release --product parse-bench >&2)
ours="$(cd "$here" && swift build -c release --show-bin-path)/parse-bench"
