#!/usr/bin/env bash
# Soak test: long-lived processes must not leak or wedge. Runs, side by side,
#   (a) a CLI generation loop in one process: pareto-cli run --loop SECONDS
#   (b) the kiosk demo loop: pareto --kiosk --windowed (offscreen)
# samples each one's resident memory (VmRSS) every few seconds into a CSV, and fails
# when a process dies early or its RSS after the warm-up grows by more than a bound.
#
#   scripts/soak.sh [--minutes M | --seconds S] [--out DIR] [--model FILE] [--bound-mb MB]
#                   [--warmup-s S] [--interval-s S] [--threads N] [--only cli|kiosk]
#
# CSV columns: elapsed_s,rss_kb. Summary (first, warm, max, last) in DIR/summary.txt.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${PARETO_BUILD_DIR:-$root/build}
data=${PARETO_TEST_DATA:-$root/../shared}

minutes=60
seconds=
out=/tmp/soak
model=$data/models/stories260K.gguf
bound_mb=8
warmup_s=120
interval_s=5
threads=1
only=
while [[ $# -gt 0 ]]; do
    case $1 in
        --minutes) minutes=$2; shift 2 ;;
        --seconds) seconds=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --model) model=$2; shift 2 ;;
        --bound-mb) bound_mb=$2; shift 2 ;;
        --warmup-s) warmup_s=$2; shift 2 ;;
        --interval-s) interval_s=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        --only) only=$2; shift 2 ;;
        -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
        *) echo "soak.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
[[ -f $model ]] || { echo "soak.sh: no model at $model" >&2; exit 2; }
cli=$build/bin/pareto-cli
gui=$build/bin/pareto
mkdir -p "$out"
duration_s=${seconds:-$((minutes * 60))}

declare -A pids
start_cli() {
    # A fresh seed per generation (seed + i), sampled text, a full 200-token reply each time.
    "$cli" run -m "$model" -p "Once upon a time" -n 200 --temp 0.8 --seed 1 -t "$threads" \
        --loop "$duration_s" >/dev/null 2>"$out/cli.log" &
    pids[cli]=$!
}
start_kiosk() {
    QT_QPA_PLATFORM=offscreen "$gui" --kiosk --windowed --model "$model" -n 100 -t "$threads" \
        --kiosk-pause 200 --settings "$out/kiosk-settings.ini" >"$out/kiosk.log" 2>&1 &
    pids[kiosk]=$!
}
names=()
[[ -z $only || $only == cli ]] && { start_cli; names+=(cli); }
[[ -z $only || $only == kiosk ]] && { start_kiosk; names+=(kiosk); }
cleanup() { for n in "${names[@]}"; do kill "${pids[$n]}" 2>/dev/null || true; done; }
trap cleanup EXIT

for n in "${names[@]}"; do echo "elapsed_s,rss_kb" >"$out/$n.csv"; done
died=()
t0=$(date +%s)
while :; do
    now=$(date +%s)
    elapsed=$((now - t0))
    for n in "${names[@]}"; do
        pid=${pids[$n]}
        if rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null) && [[ -n $rss ]]; then
            echo "$elapsed,$rss" >>"$out/$n.csv"
        elif [[ $elapsed -lt $((duration_s - interval_s)) && ! " ${died[*]} " =~ " $n " ]]; then
            died+=("$n")
        fi
    done
    [[ $elapsed -ge $duration_s ]] && break
    sleep "$interval_s"
done
# The CLI loop ends by itself (its exit status counts); the kiosk is stopped.
cli_status=0
if [[ " ${names[*]} " =~ " cli " ]]; then wait "${pids[cli]}" || cli_status=$?; fi
if [[ " ${names[*]} " =~ " kiosk " ]]; then kill "${pids[kiosk]}" 2>/dev/null || true; wait "${pids[kiosk]}" 2>/dev/null || true; fi
trap - EXIT

status=0
: >"$out/summary.txt"
for n in "${names[@]}"; do
    # first: the first sample; warm: the first sample after the warm-up; max and last after it.
    line=$(awk -F, -v warm="$warmup_s" -v bound=$((bound_mb * 1024)) -v name="$n" '
        NR == 1 { next }
        first == "" { first = $2 }
        $1 >= warm && w == "" { w = $2 }
        $1 >= warm { if ($2 > max) max = $2; last = $2; n++ }
        END {
            if (w == "") { printf "%s: no samples after the warm-up\n", name; exit 1 }
            growth = max - w
            printf "%s: samples %d  first %d KB  warm %d KB  max %d KB  last %d KB  growth %d KB (bound %d KB)\n",
                   name, n, first, w, max, last, growth, bound
            exit growth > bound ? 1 : 0
        }' "$out/$n.csv") || { status=1; line="$line  FAIL"; }
    echo "$line" | tee -a "$out/summary.txt"
done
for n in "${died[@]}"; do echo "$n: the process died early (see $out/$n.log)" | tee -a "$out/summary.txt"; status=1; done
if [[ $cli_status -ne 0 ]]; then echo "cli: exit status $cli_status (see $out/cli.log)" | tee -a "$out/summary.txt"; status=1; fi
if [[ -f $out/kiosk.log ]] && grep -a -q "pareto kiosk: error" "$out/kiosk.log"; then
    echo "kiosk: errors in $out/kiosk.log" | tee -a "$out/summary.txt"; status=1
fi
[[ -f $out/kiosk.log ]] && grep -a "cycles" "$out/kiosk.log" | tail -1 | tee -a "$out/summary.txt"
[[ -f $out/cli.log ]] && grep "^repeat:" "$out/cli.log" | sed "s/^repeat:/cli:/" | tee -a "$out/summary.txt"
exit $status
