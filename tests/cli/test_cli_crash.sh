#!/usr/bin/env bash
# Crash safety: pareto-cli profile is killed with SIGKILL at random moments while it
# appends to a trace, PARETO_KILLS times (default 50); after every kill each run the
# file held before still reads back complete and identical (trace list line and
# trace show output). Then the same for compress -o X.gguf: X.gguf is always the
# old good file or the complete new one, never a torn one.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
model=$data/models/stories260K.gguf
require_data "$model"
kills=${PARETO_KILLS:-50}
RANDOM=${PARETO_KILL_SEED:-12345}

trace=$tmp/t.h5
profile() { exec "$cli" profile -m "$model" -p "Once upon a time" -n 48 -t 1 --trace "$trace" -q --no-hash "$@"; }
(profile --name base) >/dev/null 2>&1
declare -A shown  # run name -> sha256 of its trace show output when first seen

# A run's full readback: its tables, identical every time it is read.
digest() { "$cli" trace show "$trace" "$1" 2>&1 | sha256sum | cut -c1-64; }
list_line() { grep -E "^$1 " "$tmp/list"; }
declare -A listed

# How long one run takes here, so the kills spread over its whole life.
t0=$(date +%s%N); (profile --name timing) >/dev/null 2>&1; t1=$(date +%s%N)
span_ms=$(( (t1 - t0) / 1000000 * 3 / 2 + 5 ))
lost=0 damaged=0 killed=0 finished=0
for ((k = 1; k <= kills; k++)); do
  (profile) >/dev/null 2>&1 &
  pid=$!
  sleep "$(awk -v ms=$((RANDOM % span_ms)) 'BEGIN { printf "%.3f", ms / 1000 }')"
  if kill -9 $pid 2>/dev/null; then killed=$((killed + 1)); else finished=$((finished + 1)); fi
  wait $pid 2>/dev/null
  if ! "$cli" trace list "$trace" >"$tmp/list" 2>"$tmp/list.err"; then damaged=$((damaged + 1)); echo "kill $k: trace unreadable: $(cat "$tmp/list.err")"; continue; fi
  for name in "${!shown[@]}"; do
    if [[ $(list_line "$name") != "${listed[$name]}" ]]; then lost=$((lost + 1)); echo "kill $k: run $name changed or lost in the list"; fi
    if [[ $(digest "$name") != "${shown[$name]}" ]]; then lost=$((lost + 1)); echo "kill $k: run $name reads back differently"; fi
  done
  # Runs that appeared (the append finished before the kill) join the checked set.
  while read -r name _; do
    [[ -z ${shown[$name]:-} ]] || continue
    shown[$name]=$(digest "$name"); listed[$name]=$(list_line "$name")
  done < <(grep -E '^(base|timing|run-[0-9]+) ' "$tmp/list")
done
echo "profile: $kills runs, $killed killed, $finished finished before the kill; ${#shown[@]} runs in the trace"
# Under load a run can outlast its measured length or finish early; a fifth must land mid-run.
check "profile kills: $kills kill attempts, at least a fifth landing mid-run" test $killed -ge $((kills / 5))
check "profile kills: the trace always opened" test $damaged -eq 0
check "profile kills: no earlier run lost or changed" test $lost -eq 0
check "profile kills: some appends finished (the loop exercised appending)" test ${#shown[@]} -gt 2
(profile --name after) >/dev/null 2>&1
check "profile: the next append succeeds and removes killed writers' temporary files" \
  bash -c "'$cli' trace show '$trace' after >/dev/null && ! ls -A '$tmp' | grep -q '^\.t\.h5\.tmp'"

# compress: an existing good output is replaced only by a complete new one.
out=$tmp/x.gguf
"$cli" compress -m "$model" --preset q8_0 -o "$tmp/old.gguf" -t 1 >/dev/null 2>&1
"$cli" compress -m "$model" --preset q4_0 -o "$tmp/new.gguf" -t 1 >/dev/null 2>&1
old_sum=$(sha256sum <"$tmp/old.gguf"); new_sum=$(sha256sum <"$tmp/new.gguf")
check "compress: the two outputs differ" test "$old_sum" != "$new_sum"
t0=$(date +%s%N); "$cli" compress -m "$model" --preset q4_0 -o "$tmp/timing.gguf" -t 1 >/dev/null 2>&1; t1=$(date +%s%N)
span_ms=$(( (t1 - t0) / 1000000 * 3 / 2 + 5 ))
torn=0 replaced=0 kept=0
for ((k = 1; k <= kills; k++)); do
  cp "$tmp/old.gguf" "$out"
  ( exec "$cli" compress -m "$model" --preset q4_0 -o "$out" -t 1 ) >/dev/null 2>&1 &
  pid=$!
  sleep "$(awk -v ms=$((RANDOM % span_ms)) 'BEGIN { printf "%.3f", ms / 1000 }')"
  kill -9 $pid 2>/dev/null
  wait $pid 2>/dev/null
  s=$(sha256sum <"$out")
  if [[ $s == "$old_sum" ]]; then kept=$((kept + 1)); elif [[ $s == "$new_sum" ]]; then replaced=$((replaced + 1)); else torn=$((torn + 1)); fi
done
echo "compress: $kills kills: $kept kept the old file, $replaced had the complete new one, $torn torn"
check "compress kills: never a torn output" test $torn -eq 0
check "compress kills: some kills landed before the rename" test $kept -gt 0
"$cli" compress -m "$model" --preset q4_0 -o "$out" -t 1 >/dev/null 2>&1
check "compress: the next write removes killed writers' temporary files" test -z "$(ls -A "$tmp" | grep '^x\.gguf\.tmp\.')"
"$cli" run -m "$out" -p "Once upon a time" -n 4 -t 1 >/dev/null 2>&1
check "compress: the final output loads and runs" test $? -eq 0

finish
