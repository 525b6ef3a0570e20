#!/usr/bin/env bash
# pareto-cli eval end to end: the PPL line alone, the KL block against a baseline
# (stories260K F32 vs llama.cpp's Q8_0 and Q4_0 of it), --json, and clear errors.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
base=$data/models/stories260K.gguf
q8=$data/models/quantized/stories260K-Q8_0.gguf
q4=$data/models/quantized/stories260K-Q4_0.gguf
qwen=$data/models/tiny-fixtures/tiny-qwen2-f32.gguf
text=$data/data/tinystories/tinystories_validation_head.txt

require_data "$base" "$q8" "$q4" "$qwen" "$text"
value() { sed -n "s/^$2 *= *\([-0-9.]*\).*/\1/p" "$1"; }  # value FILE KEY: the number after "KEY ="
less() { python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) < float(sys.argv[2]) else 1)' "$1" "$2"; }
args=(-f "$text" -c 128 --chunks 10 -t 2)

# Perplexity only: the same PPL line as `perplexity`.
"$cli" eval -m "$base" "${args[@]}" >"$tmp/ppl.out" 2>"$tmp/ppl.err"; rc=$?
check "eval exits 0" test $rc -eq 0
check "eval ends with the PPL line" grep -qE '^PPL = [0-9]+\.[0-9]{4} \+/- [0-9]+\.[0-9]{5}$' <(tail -n 1 "$tmp/ppl.out")
"$cli" perplexity -m "$base" "${args[@]}" >"$tmp/perplexity.out" 2>/dev/null
check "eval's PPL line equals perplexity's" test "$(tail -n 1 "$tmp/ppl.out")" == "$(tail -n 1 "$tmp/perplexity.out")"
check "progress on stderr" contains "$tmp/ppl.err" "[10/10]"
check "no progress on stdout" bash -c "! grep -qF '[10/10]' '$tmp/ppl.out'"

# Against the baseline.
for q in q8 q4; do
  "$cli" eval -m "${!q}" --base "$base" "${args[@]}" >"$tmp/$q.out" 2>"$tmp/$q.err"; rc=$?
  check "$q: eval --base exits 0" test $rc -eq 0
  for key in "PPL = " "base PPL = " "KLD mean     = " "KLD median   = " "KLD p90      = " "KLD p99      = " \
             "KLD max      = " "same top     = " "delta p mean = " "delta p RMS  = "; do
    check "$q: prints '$key'" contains "$tmp/$q.out" "$key"
  done
  check "$q: KLD mean > 0" less 0 "$(value "$tmp/$q.out" "KLD mean")"
  check "$q: the base PPL is the base's perplexity" test "$(grep '^base PPL' "$tmp/$q.out")" == "base $(tail -n 1 "$tmp/perplexity.out")"
done
check "KLD(Q8_0) < KLD(Q4_0)" less "$(value "$tmp/q8.out" "KLD mean")" "$(value "$tmp/q4.out" "KLD mean")"
check "same top(Q4_0) < same top(Q8_0)" less "$(value "$tmp/q4.out" "same top")" "$(value "$tmp/q8.out" "same top")"

"$cli" eval -m "$base" --base "$base" "${args[@]}" >"$tmp/self.out" 2>/dev/null
check "a model against itself: KLD 0" contains "$tmp/self.out" "KLD max      = 0.000000"
check "a model against itself: same top 100 %" contains "$tmp/self.out" "same top     = 100.000 %"

# --json: every number, consistent with the text output.
"$cli" eval -m "$q4" --base "$base" "${args[@]}" --json >"$tmp/q4.json" 2>/dev/null; rc=$?
check "--json exits 0" test $rc -eq 0
check "--json holds the KL block" python3 - "$tmp/q4.json" "$(value "$tmp/q4.out" "KLD mean")" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
kl = j["kl_divergence"]
assert j["n_ctx"] == 128 and j["n_chunks"] == 10 and j["n_scored"] == 10 * 63, j
assert abs(kl["mean"] - float(sys.argv[2])) < 1e-6, (kl, sys.argv[2])
assert 0 < kl["median"] <= kl["p90"] <= kl["p99"] <= kl["max"], kl
assert 0 < j["same_top_rate"] < 1 and j["delta_p"]["rms"] > 0, j
assert j["model_ppl"]["ppl"] > j["base_ppl"]["ppl"] > 1, j
EOF
"$cli" eval -m "$base" "${args[@]}" --json >"$tmp/ppl.json" 2>/dev/null
check "--json without --base" python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["base"] is None and "kl_divergence" not in j and j["model_ppl"]["ppl"] > 1' "$tmp/ppl.json"

# Errors: clear message on stderr, non-zero exit, nothing on stdout.
expect_error() {  # expect_error NAME NEEDLE ARGS...
  local name=$1 needle=$2; shift 2
  "$cli" "$@" >"$tmp/e.out" 2>"$tmp/e.err"; local rc=$?
  check "$name: non-zero exit" test $rc -ne 0
  check "$name: message names the problem" contains "$tmp/e.err" "$needle"
  check "$name: stdout stays empty" test ! -s "$tmp/e.out"
}
expect_error "missing model" "cannot open" eval -m "$tmp/nope.gguf" --base "$base" "${args[@]}"
expect_error "missing baseline" "cannot open" eval -m "$q4" --base "$tmp/nope.gguf" "${args[@]}"
expect_error "missing text" "cannot open" eval -m "$q4" --base "$base" -f "$tmp/none.txt" -c 128
expect_error "vocabulary mismatch" "vocabularies differ" eval -m "$qwen" --base "$base" "${args[@]}"
printf 'Once upon a time there was a cat.' >"$tmp/short.txt"
expect_error "text too short" "needs at least" eval -m "$q4" --base "$base" -f "$tmp/short.txt" -c 128
expect_error "missing -f" "file" eval -m "$q4"

# --trace: the results become a run of kind eval in an HDF5 trace
"$cli" eval -m "$q4" --base "$base" "${args[@]}" --trace "$tmp/t.h5" --name q4-vs-f32 >"$tmp/tr.out" 2>/dev/null; rc=$?
check "eval --trace exits 0" test $rc -eq 0
check "eval --trace names the run" contains "$tmp/tr.out" "run 'q4-vs-f32' appended to"
"$cli" trace list "$tmp/t.h5" >"$tmp/tl.out"
check "the trace lists the eval run" bash -c "grep -q '^q4-vs-f32 .* eval ' '$tmp/tl.out'"
"$cli" trace show "$tmp/t.h5" q4-vs-f32 >"$tmp/ts.out"
ppl_line=$(grep -F "PPL = " "$tmp/tr.out" | head -1 | sed 's/.*PPL = \([0-9.]*\).*/\1/')
check "the stored PPL is the printed one" contains "$tmp/ts.out" "PPL = $ppl_line"
check "the stored record has the KL block" contains "$tmp/ts.out" "same top token"
expect_error "eval --trace with a taken name" "already has a run named" eval -m "$q4" --base "$base" "${args[@]}" --trace "$tmp/t.h5" --name q4-vs-f32

finish
