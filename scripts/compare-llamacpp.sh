#!/usr/bin/env bash
# Side-by-side speed of Pareto and llama.cpp on the same model files: runs
# llama-bench and `pareto-cli bench` with the same -p/-n/-r/-t (both measure pp as
# one batch from an empty cache and tg as single tokens from an empty cache, after a
# warm-up) and prints one table with both tokens/s and their ratio.
#
#   scripts/compare-llamacpp.sh [-p 512] [-n 128] [-r 5] [-t THREADS] [-o md|csv] MODEL.gguf...
#
# Environment:
#   LLAMA_CPP_BIN     folder holding llama-bench (default /work/ref/llama.cpp/build/bin)
#   PARETO_CLI        pareto-cli binary (default: build/bin/pareto-cli, then build-*/bin/)
#   LLAMA_BENCH_ARGS  extra arguments for llama-bench only (e.g. "-fa off")
#
# Only the user's own llama.cpp binary is called; nothing of llama.cpp is in Pareto.
# Differences to keep in mind: llama.cpp's KV cache is F16 by default, Pareto's F32;
# llama.cpp may repack weights at load (CPU_REPACK / AMX buffer types).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
p=512 n=128 r=5 t=$(nproc) fmt=md
usage() { sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
models=()
while [[ $# -gt 0 ]]; do
  case $1 in
    -p) p=$2; shift 2 ;;
    -n) n=$2; shift 2 ;;
    -r) r=$2; shift 2 ;;
    -t) t=$2; shift 2 ;;
    -o) fmt=$2; shift 2 ;;
    -h|--help) usage 0 ;;
    -*) echo "compare-llamacpp: unknown option $1" >&2; usage 2 >&2 ;;
    *) models+=("$1"); shift ;;
  esac
done
[[ ${#models[@]} -gt 0 ]] || { echo "compare-llamacpp: give at least one model file" >&2; exit 2; }
[[ $fmt == md || $fmt == csv ]] || { echo "compare-llamacpp: -o must be md or csv" >&2; exit 2; }

bin=${LLAMA_CPP_BIN:-/work/ref/llama.cpp/build/bin}
llama_bench=$bin/llama-bench
[[ -x $llama_bench ]] || { echo "compare-llamacpp: no llama-bench in $bin (set LLAMA_CPP_BIN)" >&2; exit 1; }
cli=${PARETO_CLI:-}
if [[ -z $cli ]]; then
  for c in "$root/build/bin/pareto-cli" "$root"/build-*/bin/pareto-cli; do
    [[ -x $c ]] && { cli=$c; break; }
  done
fi
[[ -n $cli && -x $cli ]] || { echo "compare-llamacpp: no pareto-cli found (build it, or set PARETO_CLI)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "compare-llamacpp: python3 is needed to read the JSON" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
read -r -a extra <<<"${LLAMA_BENCH_ARGS:-}"

i=0
for m in "${models[@]}"; do
  [[ -f $m ]] || { echo "compare-llamacpp: $m: no such file" >&2; exit 1; }
  echo "compare-llamacpp: $m: llama-bench ..." >&2
  rc=0
  "$llama_bench" -m "$m" -p "$p" -n "$n" -r "$r" -t "$t" "${extra[@]}" -o json >"$tmp/llama.$i.json" 2>"$tmp/llama.$i.err" || rc=$?
  if [[ $rc -ne 0 ]]; then
    echo "compare-llamacpp: llama-bench failed on $m (exit $rc); the end of its log:" >&2
    tail -n 3 "$tmp/llama.$i.err" >&2
    if [[ $rc -ge 128 ]]; then
      echo "compare-llamacpp: it crashed: a llama.cpp built with GGML_NATIVE=ON on a (virtual) CPU that reports AMX" \
           "it cannot use faults on Q4_0/Q4_1/Q8_0/K-quant weights; see docs/cli.md (compare-llamacpp.sh)" >&2
    fi
    : >"$tmp/llama.$i.json"
  fi
  echo "compare-llamacpp: $m: pareto-cli bench ..." >&2
  if ! "$cli" bench -m "$m" -p "$p" -n "$n" -r "$r" -t "$t" -o json >"$tmp/pareto.$i.json" 2>"$tmp/pareto.$i.err"; then
    echo "compare-llamacpp: pareto-cli bench failed on $m: $(tail -n 1 "$tmp/pareto.$i.err")" >&2
    : >"$tmp/pareto.$i.json"
  fi
  i=$((i + 1))
done

python3 - "$tmp" "$fmt" "$t" "${models[@]}" <<'EOF'
import json, os, sys

tmp, fmt, threads, models = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]

def load(path):
    try:
        with open(path) as f:
            text = f.read().strip()
        return json.loads(text) if text else None
    except (OSError, ValueError):
        return None

def test_name(n_prompt, n_gen):
    return f"pp{n_prompt}" if n_prompt > 0 else f"tg{n_gen}"

rows = []
for i, model in enumerate(models):
    llama = load(os.path.join(tmp, f"llama.{i}.json")) or []
    pareto = load(os.path.join(tmp, f"pareto.{i}.json")) or {}
    ll = {test_name(r["n_prompt"], r["n_gen"]): r for r in llama}
    pa = {r["test"]: r for r in pareto.get("results", [])}
    type_ = pareto.get("model", {}).get("type") or (llama[0]["model_type"].split()[-1] if llama else "?")
    size = pareto.get("model", {}).get("model_bytes") or (llama[0]["model_size"] if llama else 0)
    for test in sorted(set(ll) | set(pa), key=lambda s: (s[:2] != "pp", s)):
        a, b = ll.get(test), pa.get(test)
        rows.append({
            "model": os.path.basename(model), "type": type_, "size_mib": size / 2**20, "threads": threads,
            "test": test,
            "llama_ts": a["avg_ts"] if a else None, "llama_sd": a["stddev_ts"] if a else None,
            "pareto_ts": b["avg_ts"] if b else None, "pareto_sd": b["stddev_ts"] if b else None,
        })

def ts(v, sd):
    return "failed" if v is None else f"{v:.2f} ± {sd:.2f}"

def ratio(r):
    if r["llama_ts"] and r["pareto_ts"] is not None:
        return r["pareto_ts"] / r["llama_ts"]
    return None

if fmt == "csv":
    print("model,type,size_mib,threads,test,llama_ts,llama_stddev,pareto_ts,pareto_stddev,pareto_over_llama")
    f = lambda v: "" if v is None else f"{v:.4f}"
    for r in rows:
        print(",".join([r["model"], r["type"], f"{r['size_mib']:.2f}", r["threads"], r["test"], f(r["llama_ts"]),
                        f(r["llama_sd"]), f(r["pareto_ts"]), f(r["pareto_sd"]), f(ratio(r))]))
else:
    head = ["model", "type", "size", "threads", "test", "llama.cpp t/s", "pareto t/s", "pareto / llama.cpp"]
    body = [[r["model"], r["type"], f"{r['size_mib']:.2f} MiB", r["threads"], r["test"],
             ts(r["llama_ts"], r["llama_sd"]), ts(r["pareto_ts"], r["pareto_sd"]),
             "-" if ratio(r) is None else f"{ratio(r):.2f}"] for r in rows]
    width = [max(len(h), *(len(b[k]) for b in body)) if body else len(h) for k, h in enumerate(head)]
    right = {2, 3, 4, 5, 6, 7}
    line = lambda cells: "| " + " | ".join(c.rjust(w) if k in right else c.ljust(w)
                                           for k, (c, w) in enumerate(zip(cells, width))) + " |"
    print(line(head))
    print("| " + " | ".join(("-" * (w - 1) + ":") if k in right else "-" * w for k, w in enumerate(width)) + " |")
    for b in body:
        print(line(b))
failed = any(r["llama_ts"] is None or r["pareto_ts"] is None for r in rows)
sys.exit(1 if failed or not rows else 0)
EOF
