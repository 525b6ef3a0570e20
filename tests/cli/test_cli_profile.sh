#!/usr/bin/env bash
# pareto-cli profile and trace end to end: tables, the HDF5 trace, exports that
# other tools parse, comparisons, and clear errors that leave the trace intact.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
model=$data/models/stories260K.gguf

require_data "$model"
trace=$tmp/t.h5

# profile: tables on stdout, the run appended to the trace
"$cli" profile -m "$model" -p "Once upon a time" -n 16 -t 2 --trace "$trace" --name base >"$tmp/p.out" 2>"$tmp/p.err"; rc=$?
check "profile exits 0" test $rc -eq 0
for key in "TTFT" "TPOT mean" "p99" "decode by op kind" "prefill by layer" "lm_head" "GB/s" "GFLOP/s" \
           "ops account for" "KV cache" "run 'base' appended to"; do
  check "profile prints: $key" contains "$tmp/p.out" "$key"
done
"$cli" profile -m "$model" -p "Once upon a time" -n 16 -t 1 --trace "$trace" -q >"$tmp/p2.out" 2>&1
check "a second run gets a default name" contains "$tmp/p2.out" "run 'run-2' appended"

# trace list / show
"$cli" trace list "$trace" >"$tmp/l.out"; rc=$?
check "trace list exits 0" test $rc -eq 0
check "trace list counts the runs" contains "$tmp/l.out" "2 runs"
check "trace list names them" bash -c "grep -q '^base ' '$tmp/l.out' && grep -q '^run-2 ' '$tmp/l.out'"
"$cli" trace show "$trace" base >"$tmp/s.out"; rc=$?
check "trace show exits 0" test $rc -eq 0
check "trace show prints the stored tables" contains "$tmp/s.out" "decode by op kind"
check "trace show names the model" contains "$tmp/s.out" "stories260K.gguf"

# export: Chrome JSON that parses, one complete event per op; CSV with a row per op
"$cli" trace export "$trace" base --chrome "$tmp/t.json" --csv "$tmp/t.csv" >/dev/null; rc=$?
check "trace export exits 0" test $rc -eq 0
n_ops=$(($(wc -l <"$tmp/t.csv") - 1))
check "csv has ops" test "$n_ops" -gt 100
events=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(1 for e in d["traceEvents"] if e["ph"]=="X" and e["tid"]!=1000 and "layer" in e["args"] and "token" in e["args"]))' "$tmp/t.json")
check "chrome trace: one complete event per op, with layer and token" test "$events" -eq "$n_ops"
counters=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len({e["name"] for e in d["traceEvents"] if e["ph"]=="C"}))' "$tmp/t.json")
check "chrome trace: memory and tokens/s counter tracks" test "$counters" -eq 2

# compare: within one file and across files
cp "$trace" "$tmp/other.h5"
"$cli" trace compare "$trace" base run-2 >"$tmp/c.out"; rc=$?
check "trace compare exits 0" test $rc -eq 0
for key in "B/A" "attention" "layer 4" "total"; do check "trace compare prints: $key" contains "$tmp/c.out" "$key"; done
"$cli" trace compare "$trace" base "$tmp/other.h5" run-2 --phase prefill >"$tmp/c2.out"; rc=$?
check "trace compare across files, prefill" test $rc -eq 0
check "prefill comparison is per prompt token" contains "$tmp/c2.out" "ms per prompt token"

# errors: named, non-zero, and the trace untouched
expect_error() {  # expect_error NAME NEEDLE ARGS...
  local name=$1 needle=$2; shift 2
  "$cli" "$@" >"$tmp/e.out" 2>"$tmp/e.err"; local rc=$?
  check "$name: non-zero exit" test $rc -ne 0
  check "$name: message names the problem" contains "$tmp/e.err" "$needle"
}
sum_before=$(sha256sum <"$trace")
expect_error "duplicate run name" "already has a run named 'base'" profile -m "$model" -p hi -n 2 --trace "$trace" --name base
expect_error "invalid run name" "run name" profile -m "$model" -p hi -n 2 --trace "$trace" --name "a/b"
expect_error "missing run" "no run named 'nope'" trace show "$trace" nope
expect_error "missing trace" "no such trace file" trace list "$tmp/none.h5"
printf 'not hdf5' >"$tmp/text.h5"
expect_error "not a trace" "not an HDF5 file" trace list "$tmp/text.h5"
expect_error "profile into a non-trace" "not an HDF5 file" profile -m "$model" -p hi -n 2 --trace "$tmp/text.h5"
check "the non-trace file is untouched" test "$(cat "$tmp/text.h5")" == "not hdf5"
expect_error "bad phase" "--phase must be" trace compare "$trace" base run-2 --phase sideways
expect_error "export with no output" "nothing to export" trace export "$trace" base
check "errors left the trace untouched" test "$(sha256sum <"$trace")" == "$sum_before"

finish
