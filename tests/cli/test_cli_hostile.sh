#!/usr/bin/env bash
# Hostile and hard inputs through run, profile, perplexity and eval: empty and invalid
# UTF-8 prompts and texts, prompts longer than the context, NaN weights, a memory
# budget too small for the model, a trace on a full disk or in a read-only directory,
# a damaged trace that crashes libhdf5, and two processes appending to one trace. Each is a clear error (or works), and no
# earlier run in a trace is lost.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
model=$data/models/stories260K.gguf
require_data "$model"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

expect_error() {  # expect_error NAME NEEDLE ARGS...
  local name=$1 needle=$2; shift 2
  "$cli" "$@" >"$tmp/e.out" 2>"$tmp/e.err"; local rc=$?
  check "$name: exit status 1" test $rc -eq 1
  check "$name: message names the problem" contains "$tmp/e.err" "$needle"
}
bad_utf8=$(printf 'Once \xff\xfe upon')
long_prompt=$(printf 'hello %.0s' {1..300})
: >"$tmp/empty.txt"
printf 'Once upon a \xff time' >"$tmp/bad.txt"
printf 'Once upon a time there was a little girl named Lily. %.0s' {1..100} >"$tmp/ok.txt"

# prompts
expect_error "run: empty prompt" "give a prompt with -p" run -m "$model" -p "" -n 4 -t 1
expect_error "profile: empty prompt" "the prompt is empty" profile -m "$model" -p "" -n 4 -t 1
expect_error "run: invalid UTF-8" "the prompt is not valid UTF-8: byte 0xFF at offset 5" run -m "$model" -p "$bad_utf8" -n 4 -t 1
expect_error "profile: invalid UTF-8" "the prompt is not valid UTF-8: byte 0xFF at offset 5" profile -m "$model" -p "$bad_utf8" -n 4 -t 1
expect_error "run: prompt longer than the context" "longer than the context of 64" run -m "$model" -p "$long_prompt" -c 64 -n 4 -t 1
check "run: nothing printed before the error" test ! -s "$tmp/e.out"
expect_error "profile: prompt longer than the context" "longer than the context of 64" profile -m "$model" -p "$long_prompt" -c 64 -n 4 -t 1
printf 'hi\n\xff\xfe\n' | "$cli" run -m "$model" --chat --chat-template chatml -n 2 -t 1 >"$tmp/chat.out" 2>"$tmp/chat.err"; rc=$?
check "run --chat: an invalid UTF-8 line is an error" test $rc -eq 1
check "run --chat: named" contains "$tmp/chat.err" "the message is not valid UTF-8"

# evaluation texts
for cmd in perplexity eval; do
  expect_error "$cmd: empty text" "the evaluation text is empty" $cmd -m "$model" -f "$tmp/empty.txt" -t 1
  expect_error "$cmd: invalid UTF-8 text" "bad.txt is not valid UTF-8: byte 0xFF at offset 12" $cmd -m "$model" -f "$tmp/bad.txt" -t 1
  expect_error "$cmd: text shorter than two chunks" "needs at least" $cmd -m "$model" -f "$tmp/ok.txt" -c 2048 -t 1
done

# NaN weights: found by info --check-weights; every command stops, no NaN is written
python3 "$here/gguf_set_weight.py" "$model" "$tmp/nan.gguf" blk.2.ffn_down.weight 77 nan
python3 "$here/gguf_set_weight.py" "$model" "$tmp/inf.gguf" output_norm.weight 3 inf
"$cli" info -m "$model" --check-weights >"$tmp/i.out" 2>&1
check "info --check-weights: the fixture is clean" contains "$tmp/i.out" "all finite"
expect_error "info --check-weights: NaN" "tensor 'blk.2.ffn_down.weight' holds NaN at element 77" info -m "$tmp/nan.gguf" --check-weights
expect_error "info --check-weights: Inf" "tensor 'output_norm.weight' holds an infinity at element 3" info -m "$tmp/inf.gguf" --check-weights
for m in nan inf; do
  expect_error "run: $m weights" "NaN or infinite logits" run -m "$tmp/$m.gguf" -p "Once upon a time" -n 8 -t 1
  expect_error "perplexity: $m weights" "NaN or infinite logits" perplexity -m "$tmp/$m.gguf" -f "$tmp/ok.txt" -c 64 -t 1
  check "perplexity: $m weights print no PPL" lacks "$tmp/e.out" "PPL"
  expect_error "eval: $m weights" "NaN or infinite logits" eval -m "$tmp/$m.gguf" -f "$tmp/ok.txt" -c 64 -t 1 --trace "$tmp/eval-$m.h5"
  check "eval: $m weights write no trace" test ! -e "$tmp/eval-$m.h5"
done
"$cli" profile -m "$model" -p "Once upon a time" -n 8 -t 1 --trace "$tmp/nan-trace.h5" --name good -q --no-hash >/dev/null
sum=$(sha256sum <"$tmp/nan-trace.h5")
expect_error "profile: NaN weights" "NaN or infinite logits" profile -m "$tmp/nan.gguf" -p "Once upon a time" -n 8 -t 1 --trace "$tmp/nan-trace.h5"
check "profile: NaN weights leave the trace as it was" test "$(sha256sum <"$tmp/nan-trace.h5")" == "$sum"

# memory: refused before loading, with the numbers; the override works
expect_error "memory limit (option)" "it needs 4.5 MiB (weights 1.1 + KV cache 2.5 + scratch 0.9) and 2.0 MiB are available" --memory-limit 2M run -m "$model" -p "Once upon a time" -n 4 -t 1
PARETO_MEMORY_LIMIT=2M "$cli" profile -m "$model" -p "Once upon a time" -n 4 -t 1 -c 2048 >"$tmp/m.out" 2>"$tmp/m.err"; rc=$?
check "memory limit (env): profile refused" test $rc -eq 1
check "memory limit (env): names the budget" contains "$tmp/m.err" "available (PARETO_MEMORY_LIMIT)"
"$cli" --memory-limit 2M run -m "$model" -p "Once upon a time" -n 4 -c 64 -t 1 >/dev/null 2>&1
check "memory limit: a shorter context fits" test $? -eq 0
PARETO_MEMORY_LIMIT=2M "$cli" --memory-limit off run -m "$model" -p "Once upon a time" -n 4 -t 1 >/dev/null 2>&1
check "memory limit: --memory-limit off overrides" test $? -eq 0
expect_error "memory limit: nonsense" "expected bytes, a size such as 512M" --memory-limit lots run -m "$model" -p hi -t 1

# a trace on a full disk (RLIMIT_FSIZE: writes past the limit fail with EFBIG)
trace=$tmp/full.h5
"$cli" profile -m "$model" -p "Once upon a time" -n 8 -t 1 --trace "$trace" --name first -q --no-hash >/dev/null
"$cli" trace show "$trace" first >"$tmp/first.before"
sum=$(sha256sum <"$trace")
size_kb=$(( $(stat -c %s "$trace") / 1024 + 8 ))  # room for the old runs, not for another
( ulimit -f "$size_kb"; trap '' XFSZ; exec "$cli" profile -m "$model" -p "Once upon a time" -n 64 -t 1 --trace "$trace" --name second -q --no-hash ) >"$tmp/f.out" 2>"$tmp/f.err"; rc=$?
check "full disk: profile fails" test $rc -eq 1
check "full disk: the error names the trace" contains "$tmp/f.err" "$trace"
check "full disk: the trace is as it was" test "$(sha256sum <"$trace")" == "$sum"
"$cli" trace show "$trace" first >"$tmp/first.after"
check "full disk: the earlier run reads back identical" cmp -s "$tmp/first.before" "$tmp/first.after"
check "full disk: no temporary file is left" test -z "$(ls -A "$tmp" | grep '^\.full\.h5\.tmp')"

# a read-only directory (root may write anywhere but sysfs)
if [[ $(id -u) -eq 0 ]]; then
  ro=/sys/pareto-test-trace.h5
  expect_error "read-only directory" "cannot write trace $ro" profile -m "$model" -p "Once upon a time" -n 4 -t 1 --trace "$ro"
else
  mkdir "$tmp/ro" && cp "$trace" "$tmp/ro/t.h5" && chmod 555 "$tmp/ro"
  sum=$(sha256sum <"$tmp/ro/t.h5")
  expect_error "read-only directory" "cannot write trace" profile -m "$model" -p "Once upon a time" -n 4 -t 1 --trace "$tmp/ro/t.h5"
  check "read-only directory: the trace is as it was" test "$(sha256sum <"$tmp/ro/t.h5")" == "$sum"
  chmod 755 "$tmp/ro"
fi

# a damaged trace that crashes libhdf5 (read in a child process first): exit 1 with
# the message, no signal, no core file; profiling into it leaves it as it was
crash=$here/../fuzz/regressions/trace/trace-hdf5-global-heap-table.h5
( cli_abs=$(readlink -f "$cli"); cd "$tmp" && exec "$cli_abs" trace list "$crash" ) >"$tmp/c.out" 2>"$tmp/c.err"; rc=$?
check "damaged trace: trace list exits 1, not by a signal" test $rc -eq 1
# (SIGSEGV); under AddressSanitizer its handler reports the fault and the child exits 1.
check "damaged trace: the message" contains "$tmp/c.err" "$crash: the trace is damaged: reading it crashed the HDF5 library ("
check "damaged trace: the message ends" contains "$tmp/c.err" "); Pareto will not open it"
check "damaged trace: no core file" test -z "$(ls "$tmp" | grep '^core')"
cp "$crash" "$tmp/crash.h5"
sum=$(sha256sum <"$tmp/crash.h5")
expect_error "damaged trace: profile refuses to append" "crashed the HDF5 library" profile -m "$model" -p "Once upon a time" -n 4 -t 1 --trace "$tmp/crash.h5"
check "damaged trace: left as it was" test "$(sha256sum <"$tmp/crash.h5")" == "$sum"

# two processes appending to one trace at once, three times: every run is stored
shared=$tmp/shared.h5
for round in 1 2 3; do
  "$cli" profile -m "$model" -p "Once upon a time" -n 32 -t 1 --trace "$shared" --name "a$round" -q --no-hash >/dev/null 2>"$tmp/a.err" &
  a=$!
  "$cli" profile -m "$model" -p "Lily found a key" -n 32 -t 1 --trace "$shared" --name "b$round" -q --no-hash >/dev/null 2>"$tmp/b.err" &
  b=$!
  wait $a; ra=$?; wait $b; rb=$?
  check "concurrent appends, round $round: both succeed" test $ra -eq 0 -a $rb -eq 0
done
"$cli" trace list "$shared" >"$tmp/shared.list"
check "concurrent appends: six runs stored" contains "$tmp/shared.list" "6 runs"
all_read=0
for n in a1 b1 a2 b2 a3 b3; do "$cli" trace show "$shared" $n >/dev/null 2>&1 || all_read=1; done
check "concurrent appends: every run reads back" test $all_read -eq 0

finish
