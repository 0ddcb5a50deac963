"""bench/tensorcore_variants.py on the padded GMM with one sample per variant: every variant
builds, is correct in the emulator, and its PTX holds its instructions; on the NT GEMM the
re-laid-out B (mma.sync without its transposed-B pair) is fetched element by element; the
transposed-B groups' B (wmma's by default, mma-nt's) is not re-laid out."""

from __future__ import annotations

import shutil

import pytest

from raytune_ms.runtime.nvrtc import nvrtc_available

pytestmark = [pytest.mark.skipif(not nvrtc_available(), reason="NVRTC not installed"),
              pytest.mark.skipif(shutil.which("g++") is None, reason="the CUDA emulator needs g++")]


def test_every_variant_builds_and_is_correct(load_bench):
    bench = load_bench("tensorcore_variants")
    rows = {r["variant"]: r for r in bench.run(1, ["padded"], emulate=True)}
    assert set(rows) == {"wmma", "wmma+pipeline", "mma", "mma+pipeline", "mma+pipeline3", "mma-nt+pipeline"}
    for r in rows.values():
        assert r["accepted"] == r["correct"] == 1 and r["kernels"] >= 1 and r["cpu"]
    assert "wmma.mma.sync" in rows["wmma"]["ptx_has"]
    assert "mma.sync.aligned.m16n8k16" in rows["mma+pipeline"]["ptx_has"]
    assert "ldmatrix.sync" in rows["mma"]["ptx_has"]
    assert "cp.async.wait_group" in rows["wmma+pipeline"]["ptx_has"]


def test_the_nt_gemm_variants(load_bench):
    """The mma.sync group without a transposed-B pair copies B transposed, element by element;
    the default wmma groups (col_major B fragments) and the mma-nt ones fetch B as it is."""
    bench = load_bench("tensorcore_variants")
    which = {"mma+pipeline", "mma-nt+pipeline", "wmma+pipeline"}
    rows = {r["variant"]: r for r in bench.run(2, ["GMM-NT"], emulate=True, which=which)}
    for r in rows.values():
        assert r["accepted"] == r["correct"] == 2
    assert "ldmatrix.sync" in rows["mma+pipeline"]["ptx_has"]
    assert rows["mma+pipeline"]["b_fetch_vector"] == 0  # a transposing copy: one element at a time
    assert rows["wmma+pipeline"]["b_fetch_vector"] > 0 and rows["mma-nt+pipeline"]["b_fetch_vector"] > 0
