#!/usr/bin/env bash
# pareto-cli compress and sensitivity end to end on stories260K: presets
# against llama.cpp's own files, the shortcuts, plans as files, the written GGUF read
# back, and clear errors (stderr, non-zero exit, nothing on stdout).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
model=$data/models/stories260K.gguf
text=$data/data/tinystories/tinystories_validation_head.txt
require_data "$model" "$text" "$data/models/quantized/stories260K-Q8_0.gguf" \
  "$data/models/quantized/stories260K-Q4_0.gguf" "$data/models/quantized/stories260K-Q4_K_M.gguf"

# The tensor table of `info` (name, type, shape, bytes) without the file line.
tensors() { "$cli" info -m "$1" | grep -E '^  (blk|token_embd|output)' | sort; }

# Calibration from the second half of the text, evaluation on the first.
head -c 300000 "$text" >"$tmp/eval.txt"
tail -c 300000 "$text" >"$tmp/calib.txt"

# Presets: the same tensors as llama.cpp's files (types, shapes, sizes; the bytes are
# compared in tests/engine/test_compress.cpp).
for p in Q8_0 Q4_0 Q4_K_M; do
  lower=$(tr 'A-Z' 'a-z' <<<"$p")
  "$cli" compress -m "$model" --preset "$lower" -o "$tmp/$p.gguf" >"$tmp/c.out" 2>"$tmp/c.err"; rc=$?
  check "compress --preset $lower exits 0" test $rc -eq 0
  check "compress --preset $lower: same tensor table as llama.cpp's $p" \
    cmp -s <(tensors "$tmp/$p.gguf") <(tensors "$data/models/quantized/stories260K-$p.gguf")
  check "compress --preset $lower: same file size as llama.cpp's" \
    test "$(stat -c %s "$tmp/$p.gguf")" -eq "$(stat -c %s "$data/models/quantized/stories260K-$p.gguf")"
done
check "compress summary names the output" contains "$tmp/c.out" "wrote:       $tmp/Q4_K_M.gguf (file_type 15)"
check "compress warns about row-length fallbacks" contains "$tmp/c.err" "blk.2.ffn_down.weight: Q6_K -> F16"

# --print-plan, then the plan as a file gives the same model.
"$cli" compress -m "$model" --preset q4_0 --print-plan >"$tmp/plan.json"
check "--print-plan prints JSON" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/plan.json"
"$cli" compress -m "$model" --plan "$tmp/plan.json" -o "$tmp/from_plan.gguf" >/dev/null 2>&1
check "a printed plan reproduces its preset" cmp -s "$tmp/from_plan.gguf" "$tmp/Q4_0.gguf"

# GPTQ, pruning, structured: run, load back, evaluate.
"$cli" compress -m "$model" --preset q4_0 --method gptq --calib "$tmp/calib.txt" --calib-samples 16 --calib-ctx 128 \
  -v -o "$tmp/gptq.gguf" >"$tmp/g.out" 2>"$tmp/g.err"; rc=$?
check "compress --method gptq exits 0" test $rc -eq 0
check "gptq summary reports calibration" contains "$tmp/g.out" "calibration: 6 passes of 16 samples x 128 tokens"
check "gptq -v lists matrices with their output error" matches "$tmp/g.out" '^blk\.0\.attn_q\.weight +F32 +Q4_0 +gptq'
"$cli" compress -m "$model" --preset f32 --prune sparsegpt:2:4 --calib "$tmp/calib.txt" --calib-samples 16 --calib-ctx 128 \
  -o "$tmp/24.gguf" >"$tmp/s.out" 2>&1; rc=$?
check "compress --prune sparsegpt:2:4 exits 0" test $rc -eq 0
check "sparsegpt summary" contains "$tmp/s.out" "35 F32 sparsegpt 2:4 + F32"
"$cli" compress -m "$model" --preset q8_0 --ffn-channels 0.25 --attn-heads 0.25 --calib "$tmp/calib.txt" \
  --calib-samples 16 --calib-ctx 128 -o "$tmp/small.gguf" >"$tmp/st.out" 2>&1; rc=$?
check "structured compress exits 0" test $rc -eq 0
check "structured summary" contains "$tmp/st.out" "structure:   n_ff 172 -> 129, heads 8 -> 6 (KV 4 -> 3)"
"$cli" info -m "$tmp/small.gguf" >"$tmp/i.out" 2>&1
check "structured model states its shapes" contains "$tmp/i.out" "ffn size:       129"
check "structured model states its heads" contains "$tmp/i.out" "heads:          6 (KV heads 3, head dim 8)"
for f in gptq 24 small; do
  "$cli" perplexity -m "$tmp/$f.gguf" -f "$tmp/eval.txt" -c 128 --chunks 20 >"$tmp/p.out" 2>/dev/null; rc=$?
  check "perplexity of the $f model" test $rc -eq 0 -a -n "$(grep -E '^PPL = [0-9]+\.[0-9]+' "$tmp/p.out")"
done

# sensitivity: one row per group (5 layers x attn, ffn; token_embd; output)
"$cli" sensitivity -m "$model" -f "$tmp/eval.txt" --type Q4_0 -c 128 --chunks 8 -o "$tmp/sens.csv" >"$tmp/se.out" 2>&1; rc=$?
check "sensitivity exits 0" test $rc -eq 0
check "sensitivity writes a header and one CSV row per group" test "$(wc -l <"$tmp/sens.csv")" -eq 13
check "sensitivity CSV header" contains "$tmp/sens.csv" "layer,group,tensors,change,bytes_before,bytes_after,kl_mean,"
check "sensitivity table" matches "$tmp/se.out" '^4 +ffn '
"$cli" sensitivity -m "$model" -f "$tmp/eval.txt" --prune wanda:0.5 --calib "$tmp/calib.txt" --calib-samples 8 \
  -c 128 --chunks 8 >"$tmp/sw.out" 2>&1; rc=$?
check "sensitivity --prune exits 0" test $rc -eq 0
check "sensitivity --prune names the change" contains "$tmp/sw.out" "change:  wanda 50%, one group at a time"

# errors
expect_error() {  # expect_error NAME NEEDLE ARGS...
  local name=$1 needle=$2; shift 2
  "$cli" "$@" >"$tmp/e.out" 2>"$tmp/e.err"; local rc=$?
  check "$name: non-zero exit" test $rc -ne 0
  check "$name: message names the problem" contains "$tmp/e.err" "$needle"
  check "$name: stdout stays empty" test ! -s "$tmp/e.out"
}
expect_error "unknown preset" "unknown preset 'q3'" compress -m "$model" --preset q3 -o "$tmp/x.gguf"
expect_error "plan and preset" "not both" compress -m "$model" --preset q4_0 --plan "$tmp/plan.json" -o "$tmp/x.gguf"
printf '{"rules": [{"match": "blk\\\\.0\\\\..*", "type": "Q4_0"}, {"match": "x", "type": "Q9"}]}' >"$tmp/bad.json"
expect_error "bad plan" "bad.json: rules[1].type: 'Q9' is not a type" compress -m "$model" --plan "$tmp/bad.json" -o "$tmp/x.gguf"
expect_error "gptq without calibration" "needs calibration text" compress -m "$model" --preset q4_0 --method gptq -o "$tmp/x.gguf"
expect_error "N:M that does not divide" "pattern 4:8 needs rows whose length is a multiple of 8" \
  compress -m "$model" --preset f32 --prune magnitude:4:8 -o "$tmp/x.gguf"
expect_error "bad prune option" "--prune wanda: no ':'" compress -m "$model" --preset f32 --prune wanda -o "$tmp/x.gguf"
qwen=$data/models/tiny-fixtures/tiny-qwen2-f32.gguf
if [[ -f $qwen ]]; then
  expect_error "qwen2 heads have no GGUF form" "the qwen2 architecture ties the two" \
    compress -m "$qwen" --preset f32 --attn-heads 0.5 -o "$tmp/x.gguf"
fi
check "failed runs leave no output file" test ! -e "$tmp/x.gguf"
expect_error "sensitivity without a change" "give one change" sensitivity -m "$model" -f "$tmp/eval.txt"
expect_error "sensitivity with an unknown type" "--type Q9: not a type" sensitivity -m "$model" -f "$tmp/eval.txt" --type Q9
expect_error "sensitivity wanda without calibration" "needs calibration text" \
  sensitivity -m "$model" -f "$tmp/eval.txt" --prune wanda:0.5

finish
