#!/usr/bin/env bash
# Runs each fuzz target named on the command line under libFuzzer, one after the other, on a
# fresh copy of its committed seeds, and says per target how many inputs it ran or what crashed.
# `make fuzz` calls it after building the targets; the knobs are the Makefile's.
#
#   run.sh BIN_DIR WORK_DIR TARGET...
#   env FUZZ_LIMIT    libFuzzer flag that ends each run: -max_total_time=60, -runs=1000000
#       FUZZ_TIMEOUT  seconds one input may take before libFuzzer calls it a hang
#       FUZZ_FLAGS    more libFuzzer flags, e.g. -seed=1
#
# Exits 1 when a target crashed, hung, broke an invariant or did not run; 0 otherwise.
set -u
if [ $# -lt 3 ]; then echo "usage: $0 BIN_DIR WORK_DIR TARGET..." >&2; exit 64; fi
bin=$1 work=$2
shift 2
root=$(cd "$(dirname "$0")/../.." && pwd)
limit=${FUZZ_LIMIT:--max_total_time=60}
timeout=${FUZZ_TIMEOUT:-10}
failed=()
summary=()
for target in "$@"; do
    program=$bin/fuzz-$target seeds=$root/Tests/Fuzz/corpus/$target
    corpus=$work/corpus/$target artifacts=$work/artifacts/$target/ log=$work/logs/$target.log
    if [ ! -x "$program" ]; then echo "fuzz-$target: $program is not built (make fuzz-build)" >&2; failed+=("$target"); continue; fi
    if [ ! -d "$seeds" ]; then echo "fuzz-$target: no seed folder $seeds (make fuzz-seeds)" >&2; failed+=("$target"); continue; fi
    # libFuzzer adds what it finds to the corpus folder: a copy, so the committed seeds stay put.
    # Inputs saved by earlier runs stay in the artifacts folder (named by content, never
    # overwritten); this run's is the one not listed before it.
    rm -rf "$corpus"
    mkdir -p "$corpus" "$artifacts" "$work/logs"
    before=$(ls "$artifacts")
    cp "$seeds"/* "$corpus"/
    # The inputs that once found a bug stay in every run's corpus.
    if [ -d "$root/Tests/Fuzz/regressions/$target" ]; then cp "$root/Tests/Fuzz/regressions/$target"/* "$corpus"/; fi
    # A valid ring segment is a header page, a descriptor page and the payloads: over 8 KiB.
    case $target in header) extra=-max_len=16384 ;; *) extra= ;; esac
    # TOMLKit leaks on every parse (Tests/lsan-suppressions.txt): libFuzzer's leak check after
    # each input that leaks is a whole LeakSanitizer scan, 70 inputs a second instead of 4000.
    # LeakSanitizer still checks at exit.
    case $target in config) extra="$extra -detect_leaks=0" ;; esac
    flags="$limit -timeout=$timeout $extra -print_final_stats=1 ${FUZZ_FLAGS:-}"
    echo "== fuzz-$target $flags $corpus"
    # The Swift runtime's own crash backtracer would take the crash from libFuzzer and
    # AddressSanitizer, and can hang under them: their report is the one wanted here.
    SWIFT_BACKTRACE=enable=no \
    LSAN_OPTIONS="suppressions=$root/Tests/lsan-suppressions.txt${LSAN_OPTIONS:+:$LSAN_OPTIONS}" \
        "$program" $flags -artifact_prefix="$artifacts" "$corpus" >"$log" 2>&1
    status=$?
    runs=$(grep -oE '^stat::number_of_executed_units: [0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
    done_line=$(grep -E '^Done [0-9]+ runs in [0-9]+ second' "$log" | tail -1)
    if grep -q 'Is the code instrumented for coverage' "$log"; then
        # libFuzzer saw no coverage at all: a build without instrumentation runs blind and
        # would report a count of executions that tested nothing.
        echo "fuzz-$target: FAILED: libFuzzer found no coverage; $program was built without instrumentation (rm -rf $work and make fuzz-build)"
        summary+=("fuzz-$target: FAILED, no coverage instrumentation")
        failed+=("$target")
    elif [ "$status" -eq 0 ] && [ -n "$done_line" ]; then
        echo "fuzz-$target: $done_line, no crash"
        summary+=("fuzz-$target: ${runs:-?} executions, no crash")
    else
        echo "fuzz-$target: FAILED (exit $status) after ${runs:-an unknown number of} executions; libFuzzer's report (all of it in $log):"
        grep -vE '^(#[0-9]+ |INFO: )' "$log" | tail -60 | sed 's/^/    /'
        found=$(ls "$artifacts" | grep -vxF "$before" | head -1)
        if [ -n "$found" ]; then
            echo "    input saved: $artifacts$found"
            echo "    replay it: SWIFT_BACKTRACE=enable=no $program $artifacts$found"
        else
            echo "    no input saved (the run did not start, or died outside an input)"
        fi
        summary+=("fuzz-$target: FAILED after ${runs:-?} executions")
        failed+=("$target")
    fi
done
echo "== fuzz summary"
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then echo "fuzz targets that failed: ${failed[*]}" >&2; exit 1; fi
