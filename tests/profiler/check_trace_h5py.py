#!/usr/bin/python3
"""Reads a Pareto trace with h5py and numpy only (no Pareto code) and checks its
schema (docs/trace-format.md) and the consistency of its values.

Usage: check_trace_h5py.py PARETO_CLI DEFAULT_DATA_DIR
The fixtures are found under $PARETO_TEST_DATA, else DEFAULT_DATA_DIR.
"""
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

RUN_ATTRS = {
    "kind", "created", "pareto_version", "model_path", "model_sha256", "model_name", "architecture",
    "model_type", "compression_plan", "n_params", "weight_bytes", "threads", "cpu_model", "simd", "n_ctx",
    "n_batch", "seed", "sampler", "prompt", "n_prompt", "n_generated", "n_ops", "ttft_ms", "tpot_mean_ms",
    "tpot_p50_ms", "tpot_p90_ms", "tpot_p99_ms", "prefill_tokens_per_s", "decode_tokens_per_s", "accounted",
}
OP_FIELDS = ["t_begin_ns", "t_end_ns", "pos", "bytes_read", "flops", "step", "layer", "n_tokens", "kind",
             "phase", "thread"]
OP_KINDS = ["embed", "attn_norm", "qkv", "q", "k", "v", "rope", "attention", "o", "ffn_norm", "gate_up", "gate",
            "up", "activation", "down", "output_norm", "lm_head", "sampling"]

failures = []
checks = 0


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def main():
    cli = sys.argv[1]
    model = os.path.join(os.environ.get("PARETO_TEST_DATA") or sys.argv[2], "models", "stories260K.gguf")
    if not os.path.exists(model):
        print(f"missing test data {model}")
        return 1  # the fixtures are part of the test set-up: never a silent skip
    with tempfile.TemporaryDirectory() as tmp:
        trace = os.path.join(tmp, "t.h5")
        for name, n in (("first", 12), ("second", 20)):
            subprocess.run([cli, "profile", "-m", model, "-p", "Once upon a time", "-n", str(n), "--trace", trace,
                            "--name", name, "-q"], check=True, stdout=subprocess.DEVNULL)
        with h5py.File(trace, "r") as f:
            check(f.attrs["format"] == "pareto-trace", "root attribute format")
            check(int(f.attrs["schema_version"]) == 2, "root attribute schema_version")
            check(list(f["runs"]) == ["first", "second"] or sorted(f["runs"]) == ["first", "second"], "run names")
            for name, n in (("first", 12), ("second", 20)):
                g = f["runs"][name]
                missing = RUN_ATTRS - set(g.attrs)
                check(not missing, f"{name}: attributes missing: {sorted(missing)}")
                check(g.attrs["kind"] == "profile", f"{name}: kind")
                check(len(g.attrs["model_sha256"]) == 64, f"{name}: sha256")

                ops = g["ops"][...]
                check(list(ops.dtype.names) == OP_FIELDS, f"{name}: ops fields {ops.dtype.names}")
                enum = h5py.check_enum_dtype(g["ops"].dtype["kind"])
                check(enum is not None and [k for k, _ in sorted(enum.items(), key=lambda kv: kv[1])] == OP_KINDS,
                      f"{name}: op kind enum {enum}")
                check(len(ops) == int(g.attrs["n_ops"]), f"{name}: n_ops")
                check(bool(np.all(ops["t_end_ns"] >= ops["t_begin_ns"])), f"{name}: op end before begin")
                check(bool(np.all(np.diff(ops["t_begin_ns"]) >= 0)), f"{name}: ops not in time order")

                tokens = g["tokens"][...]
                check(len(tokens) == n == int(g.attrs["n_generated"]), f"{name}: {len(tokens)} token steps, want {n}")
                check(int(tokens["n_tokens"][0]) == int(g.attrs["n_prompt"]), f"{name}: prompt step length")
                ttft = (tokens["t_end_ns"][0] - tokens["t_begin_ns"][0]) * 1e-6
                check(abs(ttft - float(g.attrs["ttft_ms"])) < 1e-6, f"{name}: ttft_ms vs tokens")
                # Ops sit inside the step they name.
                begin = tokens["t_begin_ns"][ops["step"]]
                end = tokens["t_end_ns"][ops["step"]]
                check(bool(np.all((ops["t_begin_ns"] >= begin) & (ops["t_end_ns"] <= end))), f"{name}: op outside its step")

                # The stored summaries equal the sums over the op table.
                dur = ops["t_end_ns"] - ops["t_begin_ns"]
                for row in g["summary_by_kind"][...]:
                    sel = (ops["phase"] == row["phase"]) & (ops["kind"] == row["kind"])
                    check(int(dur[sel].sum()) == int(row["total_ns"]) and int(sel.sum()) == int(row["count"]) and
                          int(ops["bytes_read"][sel].sum()) == int(row["bytes"]),
                          f"{name}: summary_by_kind row {row}")
                for row in g["summary_by_layer"][...]:
                    sel = (ops["phase"] == row["phase"]) & (ops["layer"] == row["layer"])
                    check(int(dur[sel].sum()) == int(row["total_ns"]), f"{name}: summary_by_layer row {row}")

                mb = g["memory_breakdown"][...]
                cat = h5py.check_enum_dtype(g["memory_breakdown"].dtype["category"])
                weights = mb[mb["category"] == cat["weights"]]
                check(int(weights["bytes"].sum()) == int(g.attrs["weight_bytes"]), f"{name}: weight bytes")
                check(all(isinstance(x, (bytes, str)) and len(x) > 0 for x in weights["name"]), f"{name}: tensor names")
                mem = g["memory"][...]
                check(len(mem) == n + 2 and bool(np.all(mem["peak_rss_bytes"] >= mem["rss_bytes"])), f"{name}: memory samples")
    print(f"h5py interop: {checks} checks, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
