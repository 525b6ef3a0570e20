#!/usr/bin/env bash
# Renders the workbench's pages offscreen into docs/screenshots/ (the pictures the
# README shows): the first-run screen, every page over stories260K with a prompt
# run in the Playground and profiled on the Profile page, the Runs page over a trace
# of stories260K and its quantized variants (profiles and evals), the Model page of
# a mixed-type demo model, and the kiosk.
# Usage: scripts/screenshots.sh [OUT_DIR]   (PARETO_TEST_DATA: the fixtures, default ../shared)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${PARETO_BUILD_DIR:-$root/build}
out=${1:-$root/docs/screenshots}
data=${PARETO_TEST_DATA:-$(cd "$root/.." && pwd)/shared}
model=$data/models/stories260K.gguf
[[ -f $model ]] || { echo "screenshots: $model not found (set PARETO_TEST_DATA)" >&2; exit 1; }
cmake --build "$build" -j "${PARETO_JOBS:-2}" --target pareto pareto-cli
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pareto=$build/bin/pareto
size=(--size 1440x900)

# First run, with a recent list as a returning user has it.
printf '[General]\nrecentModels=%s\n' "$model" >"$tmp/settings.ini"
"$pareto" "${size[@]}" --settings "$tmp/settings.ini" --page model --screenshot "$out/first-run.png" >/dev/null
"$pareto" "${size[@]}" --model "$model" --page model --screenshot "$out/model.png" >/dev/null
# Compress: q4_0, the sensitivity heat map and the applied result.
"$pareto" "${size[@]}" --model "$model" --page compress --preset q4_0 \
  --calibration "$data/data/tinystories/tinystories_validation_head.txt" --screenshot "$out/compress.png" >/dev/null
"$pareto" "${size[@]}" --model "$model" --page playground --prompt "Once upon a time, in a quiet forest," \
  -n 160 --seed 5 --screenshot "$out/playground.png" >/dev/null
# Profile: stories260K profiled, stored in a trace; then its quantized variants
# profiled and evaluated against it into the same trace, for the Runs page.
"$pareto" "${size[@]}" --model "$model" --page playground --chat-template deepseek-r1 \
  --prompt "Tell me a story about a cat." -n 120 --seed 3 --screenshot "$out/chat.png" >/dev/null
"$pareto" "${size[@]}" --model "$model" --page playground --compare --preset q4_0 \
  --prompt "Once upon a time, in a quiet forest," -n 120 --seed 5 --screenshot "$out/side-by-side.png" >/dev/null
trace=$tmp/traces.h5
prompt="Once upon a time, in a quiet forest,"
text=$data/data/tinystories/tinystories_validation_head.txt
"$pareto" "${size[@]}" --model "$model" --page profile --prompt "$prompt" -n 96 --threads 1 --trace "$trace" \
  --screenshot "$out/profile.png" >/dev/null
"$build/bin/pareto-cli" eval -m "$model" -f "$text" -c 128 --chunks 8 --trace "$trace" >/dev/null
for q in Q8_0 Q4_K_M Q4_0; do
  qm=$data/models/quantized/stories260K-$q.gguf
  "$build/bin/pareto-cli" profile -m "$qm" -p "$prompt" -n 96 -t 1 --trace "$trace" >/dev/null
  "$build/bin/pareto-cli" eval -m "$qm" --base "$model" -f "$text" -c 128 --chunks 8 --trace "$trace" >/dev/null
done
"$pareto" "${size[@]}" --page runs --trace "$trace" --screenshot "$out/runs.png" >/dev/null
# A model of real shapes with mixed types: Q6_K where it matters, Q4_K elsewhere.
"$build/bin/pareto-cli" synth --preset smollm2-135m --type Q4_K_M -o "$tmp/smollm2-135m-q4_k_m.gguf" >/dev/null
"$pareto" "${size[@]}" --model "$tmp/smollm2-135m-q4_k_m.gguf" --page model --ctx 8192 \
  --screenshot "$out/model-q4_k_m.png" >/dev/null
# Four cycles: base, q8_0, q4_0, q4_k_m each a point on the chart.
"$pareto" "${size[@]}" --kiosk --model "$model" -n 200 --seed 9 --kiosk-cycles 4 --kiosk-pause 0 \
  --screenshot "$out/kiosk.png" >/dev/null
ls -1 "$out"
