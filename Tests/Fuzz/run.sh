#!/usr/bin/env bash
# Builds one libFuzzer target and runs it on its seed corpus for SECONDS, at the lowest CPU priority.
#
#   Tests/Fuzz/run.sh TARGET SECONDS [libFuzzer flags...]    TARGET: dtb, iomem, cmdline, plan, memblock, saved
#   e.g. Tests/Fuzz/run.sh cmdline 600 -runs=10000000        (stops at 10 million executions)
#
# Seeds are generated from the project's data by seeds.py into work/seeds-TARGET; what the fuzzer
# learns goes to work/TARGET (kept between runs), crash/timeout/oom inputs to artifacts/TARGET/,
# the full log to work/TARGET.log. Needs Debian's libfdt-dev. NOBUILD=1 skips the build.
# SANITIZE overrides the sanitizers. Default: fuzzer,address for dtb (Swift hands libfdt raw
# pointers), fuzzer alone for the others: CKPlanModel and CKPlanReaders have no unsafe code, Swift's
# own bounds, overflow and unwrap checks stay on in release, and AddressSanitizer would halve the rate.
# Prints executions, duration and exec/s; exits 1 if libFuzzer found anything.
set -euo pipefail
cd "$(dirname "$0")"
target=${1:?usage: run.sh TARGET SECONDS [libFuzzer flags...]}
seconds=${2:?usage: run.sh TARGET SECONDS [libFuzzer flags...]}
shift 2
case $target in
    dtb) exe=FuzzDTB dict=dtb ;;
    iomem) exe=FuzzIomem dict=iomem ;;
    cmdline) exe=FuzzCmdline dict=cmdline ;;
    plan) exe=FuzzPlan dict=cmdline ;;
    memblock) exe=FuzzMemblock dict= ;;
    saved) exe=FuzzSaved dict=json ;;
    *) echo "unknown target $target (dtb, iomem, cmdline, plan, memblock, saved)" >&2; exit 2 ;;
esac
default_sanitize=fuzzer
[ "$target" = dtb ] && default_sanitize=fuzzer,address
sanitize=${SANITIZE:-$default_sanitize}
scratch=.build-${sanitize//,/-}
# -parse-as-library: the targets have no top-level code (libFuzzer drives them). lld, because gold
# fails on the ASan runtime's exported symbols ("internal error in format_file_lineno").
if [ -z "${NOBUILD:-}" ]; then
    nice -n 19 swift build -c release --scratch-path "$scratch" --product "$exe" \
        -Xswiftc -sanitize="$sanitize" -Xswiftc -parse-as-library -Xswiftc -use-ld=lld >&2
fi
bin=$(swift build -c release --scratch-path "$scratch" --show-bin-path)/$exe
mkdir -p "work/$target" "artifacts/$target"
rm -rf "work/seeds-$target"
python3 seeds.py "$target" "work/seeds-$target"
log=work/$target.log
start=$(date +%s)
set +e
nice -n 19 "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
    ${dict:+-dict="Dictionaries/$dict.dict"} -artifact_prefix="artifacts/$target/" "$@" \
    "work/$target" "work/seeds-$target" >"$log" 2>&1
status=$?
set -e
end=$(date +%s)
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
found=$(find "artifacts/$target" -type f | wc -l)
grep -E '^#[0-9]+ +(DONE|pulse)' "$log" | tail -1 >&2 || true
echo "target=$target executions=${runs:-?} seconds=$((end - start)) exec_per_sec=${rate:-?} artifacts=$found status=$status log=Tests/Fuzz/$log"
if [ "$status" -ne 0 ]; then
    grep -m1 -A12 -E 'ERROR: |Fatal error|fatal error' "$log" >&2 || tail -30 "$log" >&2
    exit 1
fi
