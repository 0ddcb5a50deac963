"""bench/cuda_nvrtc_rate.py on one tiny workload: sampling, --emit and --side-by-side run and
report what they measured. No timing thresholds: the figures are what the bench is for."""

from __future__ import annotations

import json

import pytest

from raytune_ms.runtime.nvrtc import nvrtc_available

pytestmark = pytest.mark.skipif(not nvrtc_available(),
                                reason="NVRTC not installed (pip install nvidia-cuda-nvrtc-cu12)")

def test_compile_emit_and_side_by_side(tmp_path, capsys, load_bench):
    bench = load_bench("cuda_nvrtc_rate")
    (row,) = bench.run("small", 1, 8, ["GMM"])
    assert row["kernels"] >= 1 and row["source_bytes"] > 0 and row["nvrtc_cpu_s"] >= 0
    (emitted,) = bench.run("small", 1, 8, ["GMM"], emit=str(tmp_path))
    assert emitted["hash"] == row["hash"]  # the same candidate: the draws are seeded
    (path,) = tmp_path.iterdir()
    assert path.name.startswith("GMM-small-0-") and path.suffix == ".cu"
    totals = bench.side_by_side(str(tmp_path), str(tmp_path))
    assert totals["before"]["kernels"] == totals["after"]["kernels"] == row["kernels"]
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    assert lines[-1]["summary"] and lines[-1]["candidates"] == 1
