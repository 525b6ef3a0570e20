#!/usr/bin/env bash
# pareto-cli synth and bench end to end: a synthesized tiny model loads and runs,
# bench's md/json/csv outputs carry the fields scripts read, the bandwidth probe
# prints GB/s, and bad input gives a clear error (stderr, non-zero exit, no stdout).
# Needs no fixtures: every model here is synthesized.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# synth
"$cli" synth --preset tiny --type F16 --seed 3 -t 2 -o "$tmp/tiny.gguf" >"$tmp/synth.out" 2>"$tmp/synth.err"; rc=$?
check "synth exits 0" test $rc -eq 0
check "synth reports the file" contains "$tmp/synth.out" "wrote:"
check "synth reports the shapes" contains "$tmp/synth.out" "2 layers, hidden 256, ffn 512"
check "synth writes the file" test -s "$tmp/tiny.gguf"
"$cli" synth --preset tiny --type F16 --seed 3 -t 1 -o "$tmp/tiny-again.gguf" >/dev/null 2>&1
check "synth: same seed, same bytes (any thread count)" cmp -s "$tmp/tiny.gguf" "$tmp/tiny-again.gguf"
"$cli" synth --preset tiny --type F16 --seed 4 -o "$tmp/tiny-seed4.gguf" >/dev/null 2>&1
check "synth: another seed, other bytes" bash -c '! cmp -s "$1" "$2"' _ "$tmp/tiny.gguf" "$tmp/tiny-seed4.gguf"
"$cli" synth --list >"$tmp/list.out" 2>&1
check "synth --list names the presets" contains "$tmp/list.out" "r1-distill-qwen-1.5b"

# info shows the preset's shapes
"$cli" info -m "$tmp/tiny.gguf" >"$tmp/info.out" 2>&1; rc=$?
check "info on a synthesized model exits 0" test $rc -eq 0
check "info: architecture" contains "$tmp/info.out" "architecture:   llama"
check "info: layers" matches "$tmp/info.out" "^layers: +2$"
check "info: hidden size" matches "$tmp/info.out" "^hidden size: +256$"
check "info: heads" contains "$tmp/info.out" "4 (KV heads 2, head dim 64)"
check "info: tokenizer" contains "$tmp/info.out" "gpt2 (pre: llama-bpe), 1024 tokens"
check "info: separate output" contains "$tmp/info.out" "separate matrix"

"$cli" synth --arch qwen2 --preset tiny-tied --type Q4_K_M --layers 1 -o "$tmp/q.gguf" >"$tmp/q.out" 2>&1; rc=$?
check "synth qwen2 Q4_K_M exits 0" test $rc -eq 0
"$cli" info -m "$tmp/q.gguf" >"$tmp/qinfo.out" 2>&1
check "info: qwen2, one layer, tied, Q6_K output" bash -c 'grep -q "architecture:   qwen2" "$1" && grep -qE "^layers: +1$" "$1" && grep -q "tied to token_embd" "$1" && grep -qE "token_embd.weight +Q6_K" "$1"' _ "$tmp/qinfo.out"

# run and tokenize work on it
out=$("$cli" run -m "$tmp/tiny.gguf" -p "The quick brown fox" -n 8 --temp 0 -t 2 2>/dev/null)
check "run prints the prompt and a continuation" test "${out:0:19}" == "The quick brown fox"
out=$("$cli" tokenize -m "$tmp/tiny.gguf" --no-bos "the model")
check "tokenize with the built-in vocabulary" matches <(echo "$out") '^\[[0-9]+(, [0-9]+)*\]$'

# bench: json
"$cli" bench -m "$tmp/tiny.gguf" -p 16 -n 8 -r 2 -t 2 -o json >"$tmp/b.json" 2>"$tmp/b.err"; rc=$?
check "bench json exits 0" test $rc -eq 0
check "bench json is valid and complete" python3 - "$tmp/b.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
m = d["model"]
assert m["model_bytes"] > 0 and m["n_params"] == 1705216 and m["arch"] == "llama" and m["type"] == "F16", m
s = d["system"]
assert s["threads"] == 2 and s["simd"] and s["cpu"], s
assert d["session"]["kv_cache_bytes"] == 2 * 2 * 24 * 128 * 4, d["session"]   # K and V, 2 layers, n_ctx 24, kv_dim 128, F32
assert d["session"]["n_ctx"] == 24
assert d["peak_rss_bytes"] > 0
tests = {r["test"]: r for r in d["results"]}
assert set(tests) == {"pp16", "tg8"}, tests
assert tests["pp16"]["n_prompt"] == 16 and tests["pp16"]["n_gen"] == 0
assert tests["tg8"]["n_gen"] == 8 and tests["tg8"]["n_prompt"] == 0
for r in tests.values():
    assert r["repetitions"] == 2 and len(r["samples_ns"]) == 2, r
    assert r["avg_ts"] > 0 and r["stddev_ts"] >= 0 and r["avg_ns"] > 0, r
EOF

# bench: md (a llama-bench style table) and csv
"$cli" bench -m "$tmp/tiny.gguf" -p 16 -n 8 -r 2 -t 2 >"$tmp/b.md" 2>&1; rc=$?
check "bench md exits 0" test $rc -eq 0
check "bench md has the table header" matches "$tmp/b.md" '^\| model +\| +size \| +params \|.*\| +test \| +t/s \|$'
check "bench md has a pp16 row" matches "$tmp/b.md" '\| +pp16 \| +[0-9]+\.[0-9]{2} ± [0-9]+\.[0-9]{2} \|$'
check "bench md has a tg8 row" matches "$tmp/b.md" '\| +tg8 \| +[0-9]+\.[0-9]{2} ± [0-9]+\.[0-9]{2} \|$'
check "bench md reports memory" matches "$tmp/b.md" '^memory: +weights .*KV cache .*peak RSS'
"$cli" bench -m "$tmp/tiny.gguf" -p 16 -n 0 -r 2 -t 2 -o csv >"$tmp/b.csv" 2>&1; rc=$?
check "bench csv exits 0" test $rc -eq 0
check "bench csv: header and one row (-n 0 skips tg)" python3 - "$tmp/b.csv" <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert len(rows) == 1 and rows[0]["test"] == "pp16", rows
assert float(rows[0]["avg_ts"]) > 0 and int(rows[0]["model_bytes"]) > 0 and int(rows[0]["threads"]) == 2
EOF

# bench: bandwidth, alone and with a model
"$cli" bench --bandwidth --bandwidth-mib 64 -t 2 >"$tmp/bw.out" 2>&1; rc=$?
check "bench --bandwidth exits 0" test $rc -eq 0
check "bench --bandwidth prints GB/s" matches "$tmp/bw.out" '^bandwidth: +[0-9]+\.[0-9]+ GB/s'
"$cli" bench -m "$tmp/tiny.gguf" -p 0 -n 8 -r 1 -t 2 --bandwidth --bandwidth-mib 64 -o json >"$tmp/bw.json" 2>&1
check "bench --bandwidth json: decode bound and tg fraction" python3 - "$tmp/bw.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
b = d["bandwidth"]
assert b["gb_per_s"] > 0 and b["buffer_bytes"] == 64 << 20 and b["decode_bound_ts"] > 0 and b["tg_fraction"] > 0, b
assert b["bytes_per_token"] < d["model"]["model_bytes"]   # untied: one row of token_embd per token
EOF

# errors: clear message on stderr, non-zero exit, nothing on stdout
expect_error() {  # expect_error NAME NEEDLE ARGS...
  local name=$1 needle=$2; shift 2
  "$cli" "$@" >"$tmp/e.out" 2>"$tmp/e.err"; local rc=$?
  check "$name: non-zero exit" test $rc -ne 0
  check "$name: message names the problem" contains "$tmp/e.err" "$needle"
  check "$name: stdout stays empty" test ! -s "$tmp/e.out"
}
expect_error "synth: bad preset" "unknown preset 'gpt-9'" synth --preset gpt-9 -o "$tmp/x.gguf"
expect_error "synth: bad type" "unknown or unsupported type 'Q9_X'" synth --preset tiny --type Q9_X -o "$tmp/x.gguf"
expect_error "synth: bad arch" "mamba" synth --arch mamba --preset tiny -o "$tmp/x.gguf"
expect_error "synth: unwritable output" "$tmp/no/such/dir/x.gguf" synth --preset tiny -o "$tmp/no/such/dir/x.gguf"
expect_error "synth: no output" "-o" synth --preset tiny
expect_error "synth: missing tokenizer" "$tmp/none.gguf" synth --preset tiny --tokenizer "$tmp/none.gguf" -o "$tmp/x.gguf"
check "synth: failed runs leave no files" test ! -e "$tmp/x.gguf"
expect_error "bench: missing model" "cannot open" bench -m "$tmp/none.gguf" -p 8 -n 0
expect_error "bench: bad format" "unknown output format 'xml'" bench -m "$tmp/tiny.gguf" -o xml
expect_error "bench: nothing to do" "nothing to measure" bench -m "$tmp/tiny.gguf" -p 0 -n 0
expect_error "bench: no model" "no model" bench -p 8

finish
