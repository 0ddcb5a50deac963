"""bench/tensorcore_fusion.py on one small program: sampling, NVRTC builds and the emulator
check run and report what they measured. No timing thresholds."""

from __future__ import annotations

import shutil

import pytest

from raytune_ms.runtime.nvrtc import nvrtc_available

pytestmark = pytest.mark.skipif(not nvrtc_available() or shutil.which("g++") is None,
                                reason="needs NVRTC (pip install nvidia-cuda-nvrtc-cu12) and g++ (the emulator)")


def test_one_program_is_sampled_built_and_emulated(load_bench):
    bench = load_bench("tensorcore_fusion")
    row = bench.run("out_transposed", 2, 1, mutate=2)
    assert row["accepted"] >= 1 and row["built"] == row["accepted"] and row["tensorized"] == row["accepted"]
    assert row["kernels_per_candidate"] == [1] and row["emulated"] == 1 and row["emulator_correct"] == 1
    assert row["mutated"] >= row["mutated_accepted"] >= row["mutated_emulator_correct"]
