#!/usr/bin/env bash
# pareto-cli on HuggingFace folders end to end: convert GGUF -> HF folder -> GGUF, every
# command on the folder, llama.cpp on the converted GGUF (when a build is found),
# run --chat, and clear errors for damaged folders.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
model=$data/models/stories260K.gguf
qwen=$data/models/tiny-fixtures/tiny-qwen2-f32.gguf
text=$data/data/tinystories/tinystories_validation_head.txt
golden=$data/golden/stories260K-greedy.json

require_data "$model" "$qwen" "$text" "$golden"
expected=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["cases"][0]["greedy_text"])' "$golden")

# GGUF -> HF folder
"$cli" convert -m "$model" -o "$tmp/hf" >"$tmp/conv.out" 2>"$tmp/conv.err"; rc=$?
check "convert to HF exits 0" test $rc -eq 0
for f in config.json model.safetensors tokenizer.json tokenizer_config.json generation_config.json; do
  check "convert wrote $f" test -s "$tmp/hf/$f"
done
check "convert reports the Q/K re-ordering" contains "$tmp/conv.out" "10 Q/K tensors re-ordered"
check "no temporary files are left" test -z "$(find "$tmp/hf" -name '*.tmp.*')"

# every command on the folder
"$cli" run -m "$tmp/hf" -p "Once upon a time" -n 64 --temp 0 -t 2 >"$tmp/run.out" 2>/dev/null
check "run on the HF folder: greedy text equals llama.cpp's" test "$(cat "$tmp/run.out")" == "$expected"
"$cli" info -m "$tmp/hf" >"$tmp/info.out" 2>&1
check "info on the HF folder names the format" contains "$tmp/info.out" "HuggingFace checkpoint (safetensors), 48 tensors"
check "info on the HF folder lists tensors" contains "$tmp/info.out" "blk.4.ffn_down.weight"
check "tokenize on the HF folder equals the GGUF's" \
  test "$("$cli" tokenize -m "$tmp/hf" "Once upon a time")" == "$("$cli" tokenize -m "$model" "Once upon a time")"
ppl_hf=$("$cli" perplexity -m "$tmp/hf" -f "$text" -c 128 --chunks 20 2>/dev/null | tail -n 1)
ppl_gguf=$("$cli" perplexity -m "$model" -f "$text" -c 128 --chunks 20 2>/dev/null | tail -n 1)
check "perplexity on the HF folder equals the GGUF's ($ppl_hf)" test "$ppl_hf" == "$ppl_gguf"
"$cli" bench -m "$tmp/hf" -p 16 -n 8 -r 1 >"$tmp/bench.out" 2>&1; rc=$?
check "bench on the HF folder exits 0" test $rc -eq 0
check "run on the folder's config.json" test "$("$cli" run -m "$tmp/hf/config.json" -p "Once upon a time" -n 64 --temp 0 2>/dev/null)" == "$expected"

# HF folder -> GGUF: the same tensors as the original, and llama.cpp loads it
"$cli" convert -m "$tmp/hf" -o "$tmp/back.gguf" >"$tmp/back.out" 2>&1; rc=$?
check "convert back to GGUF exits 0" test $rc -eq 0
"$cli" run -m "$tmp/back.gguf" -p "Once upon a time" -n 64 --temp 0 >"$tmp/run2.out" 2>/dev/null
check "run on the round-tripped GGUF: greedy text equals llama.cpp's" test "$(cat "$tmp/run2.out")" == "$expected"
"$cli" convert -m "$tmp/hf" -o "$tmp/bf16.gguf" --outtype bf16 >"$tmp/bf16.out" 2>&1
check "convert --outtype bf16 says what changed" contains "$tmp/bf16.out" "F32 tensors converted to BF16"
"$cli" convert -m "$data/models/quantized/stories260K-Q8_0.gguf" -o "$tmp/q8hf" >"$tmp/q8.out" 2>&1
check "convert of a quantized GGUF states the dequantization" contains "$tmp/q8.out" "32 Q8_0 tensors dequantized to F32"
"$cli" convert -m "$data/models/quantized/stories260K-Q8_0.gguf" -o "$tmp/q8hf16" --outtype f16 >"$tmp/q8f16.out" 2>&1
check "convert --outtype f16 dequantizes to F16" contains "$tmp/q8f16.out" "32 Q8_0 tensors dequantized to F16"

# llama.cpp on the converted files (a build of the reference, when one is found)
simple=""
for d in ${LLAMA_CPP_BIN:-} /work/ref/llama.cpp/build-noamx/bin /work/ref/llama.cpp/build/bin; do
  if [[ -n $d && -x $d/llama-simple ]]; then simple=$d/llama-simple; break; fi
done
if [[ -n $simple ]]; then
  lib=$(dirname "$simple")
  LD_LIBRARY_PATH=$lib "$simple" -m "$tmp/back.gguf" -n 64 "Once upon a time" >"$tmp/llama.out" 2>/dev/null
  check "llama.cpp greedy text on the converted GGUF equals the golden" test "$(sed 's/^<s> //' "$tmp/llama.out")" == "$expected"
  "$cli" convert -m "$qwen" -o "$tmp/qhf" >/dev/null 2>&1 && "$cli" convert -m "$tmp/qhf" -o "$tmp/q.gguf" >/dev/null 2>&1
  LD_LIBRARY_PATH=$lib "$simple" -m "$tmp/q.gguf" -n 32 "t9t6t27t58t42t37t54t43" >"$tmp/llamaq.out" 2>/dev/null
  check "llama.cpp on the round-tripped tiny Qwen2 gives the recorded tokens" \
    contains "$tmp/llamaq.out" "t9t6t27t58t42t37t54t43t11t31t32t62"
else
  echo "note: no llama.cpp build with llama-simple found (set LLAMA_CPP_BIN); llama.cpp checks not run"
fi

# tiny Qwen2 through the folder
"$cli" convert -m "$qwen" -o "$tmp/q2" >/dev/null 2>&1
out=$("$cli" run -m "$tmp/q2" -p "t9t6t27t58t42t37t54t43" -n 32 --temp 0 2>/dev/null)
check "tiny Qwen2 from its HF folder gives the recorded tokens" \
  test "$out" == "t9t6t27t58t42t37t54t43t11t31t32t62t28t11t31t56t39t11t8t31t56t26t42t39t11t31t56t18t38t39t11t31t56t21t62t2t31t56t12t25"

# run --chat
"$cli" run -m "$model" --chat --chat-template llama2 --system "Tell a story." -p "Once upon a time" -n 16 --temp 0 \
  >"$tmp/chat.out" 2>"$tmp/chat.err"; rc=$?
check "run --chat exits 0" test $rc -eq 0
check "run --chat names the template" contains "$tmp/chat.err" "chat template: llama2"
check "run --chat prints a reply" test -s "$tmp/chat.out"
printf 'Lily went\nThe dog\n' | "$cli" run -m "$tmp/hf" --chat --chat-template deepseek-r1 -n 8 --temp 0 \
  >"$tmp/turns.out" 2>"$tmp/turns.err"; rc=$?
check "run --chat reads turns from stdin" test "$rc" -eq 0 -a "$(grep -c '^decode:' "$tmp/turns.err")" -eq 2
check "run --chat marks reasoning off a terminal" contains "$tmp/turns.out" "<think>"
printf 'Lily went\n' | "$cli" run -m "$tmp/hf" --chat --chat-template deepseek-r1 -n 8 --temp 0 --hide-reasoning \
  >"$tmp/hidden.out" 2>/dev/null
check "run --chat --hide-reasoning hides it" lacks "$tmp/hidden.out" "<think>"
printf '{%% for m in messages %%}{{ m.content }}{%% endfor %%}' >"$tmp/odd.jinja"

# errors: clear message on stderr, non-zero exit, nothing on stdout
expect_error() {  # expect_error NAME NEEDLE ARGS...
  local name=$1 needle=$2; shift 2
  "$cli" "$@" >"$tmp/e.out" 2>"$tmp/e.err"; local rc=$?
  check "$name: non-zero exit" test $rc -ne 0
  check "$name: message names the problem" contains "$tmp/e.err" "$needle"
  check "$name: stdout stays empty" test ! -s "$tmp/e.out"
}
expect_error "chat without a template" "has no chat template" run -m "$model" --chat -p hi
expect_error "unrecognised template file" "chat template not recognised" run -m "$model" --chat --chat-template "$tmp/odd.jinja" -p hi
expect_error "unknown template name" "unknown chat template 'vicuna'" run -m "$model" --chat --chat-template vicuna -p hi
expect_error "convert in the wrong direction" "converts to an OUT.gguf" convert -m "$tmp/hf" -o "$tmp/again"
expect_error "convert with a bad type" "unknown output type 'q4'" convert -m "$model" -o "$tmp/x" --outtype q4
mkdir -p "$tmp/empty"
expect_error "a folder without config.json" "no config.json" run -m "$tmp/empty" -p hi
cp -r "$tmp/hf" "$tmp/broken"
printf '\xff\xff\xff\xff\xff\xff\xff\x7f' | dd of="$tmp/broken/model.safetensors" bs=1 count=8 conv=notrunc status=none
expect_error "a damaged safetensors header" "header length" info -m "$tmp/broken"
cp -r "$tmp/hf" "$tmp/badcfg"
sed -i 's/"hidden_size": 64,//' "$tmp/badcfg/config.json"
expect_error "config.json without hidden_size" "required key 'hidden_size' is missing" run -m "$tmp/badcfg" -p hi

finish
