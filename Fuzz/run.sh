#!/usr/bin/env bash
# Builds one libFuzzer target and runs it for SECONDS over its seed corpus.
# Usage: Fuzz/run.sh TARGET SECONDS [extra libFuzzer flags...]
# Exits non-zero on a crash, a timeout (>1 s per input) or >2 GB RSS; the
# reproducer is left in Fuzz/artifacts/TARGET/.
set -euo pipefail
target=${1:?usage: run.sh TARGET SECONDS}
seconds=${2:?usage: run.sh TARGET SECONDS}
shift 2
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
cd "$here"
swift build -c release --sanitize fuzzer -Xswiftc -sanitize=fuzzer,address --product "$target" >&2
bin=$(swift build -c release --sanitize fuzzer -Xswiftc -sanitize=fuzzer,address --show-bin-path)/$target

# Seeds: objects (TestData, and ../shared/corpus when present, plus
# debug-stripped copies of the large ones) for ELF and Object; the BTF targets
# get blobs extracted from them by make-seeds.sh. The working
# corpus grows in corpus/TARGET.
work=corpus/$target
mkdir -p "$work" "artifacts/$target"
case "$target" in
    FuzzELF|FuzzObject|FuzzLink)
        [ -d seeds/Objects ] || ./make-seeds.sh >/dev/null
        seeds=("$root/TestData/obj" seeds/Objects)
        [ -d "$root/../shared/corpus" ] && seeds+=("$root/../shared/corpus")
        dict=(-dict=dictionaries/elf.dict) ;;
    FuzzBTF|FuzzBTFExt|FuzzDedup)
        [ -d "seeds/FuzzBTF" ] || ./make-seeds.sh >/dev/null
        seeds=("seeds/${target/FuzzDedup/FuzzBTF}")
        dict=(-dict=dictionaries/btf.dict) ;;
    FuzzKconfig)
        seeds=("$root/TestData/gzip")
        dict=() ;;
    *) seeds=(); dict=() ;;
esac
# Every reproducer kept for the target seeds it too (the hostile generators' shapes among them).
seeds+=("$root/Tests/Regressions/$target")
SWIFT_BACKTRACE=enable=no "$bin" "$work" "${seeds[@]}" "${dict[@]}" \
    -max_total_time="$seconds" -timeout=1 -rss_limit_mb=2048 -max_len=65536 \
    -artifact_prefix="artifacts/$target/" -print_final_stats=1 "$@"
