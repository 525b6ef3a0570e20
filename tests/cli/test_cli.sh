#!/usr/bin/env bash
# pareto-cli end to end: the subcommands and output formats scripts depend on,
# and clear errors (stderr, non-zero exit, nothing on stdout) for bad input.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
model=$data/models/stories260K.gguf
text=$data/data/tinystories/tinystories_validation_head.txt

require_data "$model" "$text"

# info
"$cli" info -m "$model" >"$tmp/info.out" 2>"$tmp/info.err"; rc=$?
check "info exits 0" test $rc -eq 0
check "info names the architecture" contains "$tmp/info.out" "architecture:   llama"
check "info lists layer tensors" contains "$tmp/info.out" "blk.4.ffn_down.weight"
check "info names the tokenizer" contains "$tmp/info.out" "tokenizer:      llama"

# tokenize
out=$("$cli" tokenize -m "$model" "Once upon a time")
check "tokenize with BOS" test "$out" == "[1, 403, 407, 261, 378]"
out=$("$cli" tokenize -m "$model" --no-bos "Once upon a time")
check "tokenize --no-bos" test "$out" == "[403, 407, 261, 378]"

# run: greedy text equals llama.cpp's (golden), stdout holds nothing else
expected=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["cases"][0]["greedy_text"])' "$data/golden/stories260K-greedy.json")
"$cli" run -m "$model" -p "Once upon a time" -n 64 --temp 0 -t 2 >"$tmp/run.out" 2>"$tmp/run.err"; rc=$?
check "run exits 0" test $rc -eq 0
check "run greedy text equals llama.cpp's" test "$(cat "$tmp/run.out")" == "$expected"
for key in "load:" "prompt:" "ttft:" "decode:" "tokens/s"; do
  check "run timings on stderr: $key" contains "$tmp/run.err" "$key"
done
"$cli" run -m "$model" -p "Once upon a time" -n 24 --temp 0.9 --top-k 20 --top-p 0.9 --seed 7 >"$tmp/s1.out" 2>/dev/null
"$cli" run -m "$model" -p "Once upon a time" -n 24 --temp 0.9 --top-k 20 --top-p 0.9 --seed 7 >"$tmp/s2.out" 2>/dev/null
check "run with a seed is reproducible" cmp -s "$tmp/s1.out" "$tmp/s2.out"

# perplexity
"$cli" perplexity -m "$model" -f "$text" -c 128 --chunks 40 >"$tmp/ppl.out" 2>"$tmp/ppl.err"; rc=$?
check "perplexity exits 0" test $rc -eq 0
check "perplexity ends with the PPL line" grep -qE '^PPL = [0-9]+\.[0-9]{4} \+/- [0-9]+\.[0-9]{5}$' <(tail -n 1 "$tmp/ppl.out")

# errors: clear message on stderr, non-zero exit, nothing on stdout
expect_error() {  # expect_error NAME NEEDLE ARGS...
  local name=$1 needle=$2; shift 2
  "$cli" "$@" >"$tmp/e.out" 2>"$tmp/e.err"; local rc=$?
  check "$name: non-zero exit" test $rc -ne 0
  check "$name: message names the problem" contains "$tmp/e.err" "$needle"
  check "$name: stdout stays empty" test ! -s "$tmp/e.out"
}
expect_error "missing model file" "cannot open" info -m "$tmp/nope.gguf"
head -c 5000 "$model" >"$tmp/truncated.gguf"
expect_error "truncated model" "truncated" run -m "$tmp/truncated.gguf" -p hi
printf 'this is not a model' >"$tmp/text.gguf"
expect_error "not a GGUF file" "not a GGUF file" tokenize -m "$tmp/text.gguf" hi
expect_error "missing required option" "model" run -p hi
expect_error "missing text file" "cannot open" perplexity -m "$model" -f "$tmp/none.txt" -c 128
printf 'Once upon a time there was a cat.' >"$tmp/short.txt"
expect_error "text too short" "needs at least" perplexity -m "$model" -f "$tmp/short.txt" -c 128

finish
