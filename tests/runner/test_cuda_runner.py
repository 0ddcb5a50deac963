"""The CUDA driver-API evaluator: on a GPU, suite kernels run and match numpy; elsewhere the
tests skip with the reason "no NVIDIA GPU"."""

import numpy as np
import pytest

import raytune_ms as ms
from raytune_ms import workloads
from raytune_ms.codegen.cuda_bind import bind_outer_loops
from raytune_ms.runner.cuda_evaluate import CudaModule, evaluate, gpu_unavailable_reason
from raytune_ms.runner.evaluate import WrongResult

REASON = gpu_unavailable_reason()
needs_gpu = pytest.mark.skipif(REASON is not None, reason=REASON or "")


def test_reason_names_the_missing_gpu():
    assert REASON is None or REASON.startswith("no NVIDIA GPU")


@pytest.mark.gpu
@needs_gpu
@pytest.mark.parametrize("name,cross", [("GMM", 0), ("C2D", 0), ("SFM", 64), ("LN", 64)])
def test_suite_kernels_match_numpy_and_time(name, cross):
    w = workloads.get(name, "small")
    sch = bind_outer_loops(ms.Schedule(w.func), 128, cross)
    art = ms.build(sch.mod, "cuda")
    mod = CudaModule(art)
    try:
        arrays = mod.run(*w.make_inputs())
        mod.fetch(arrays)
        ok, err = w.compare(arrays)
        assert ok, f"{name}: max error {err}"
        secs = mod.time(number=2, repeat=2, min_repeat_ms=1, flush=True)
        assert len(secs) == 2 and all(s > 0 for s in secs)
    finally:
        mod.close()


@pytest.mark.gpu
@needs_gpu
def test_wrong_result_detected():
    w = workloads.get("GMM", "small")
    art = ms.build(bind_outer_loops(ms.Schedule(w.func)).mod, "cuda")
    arrays = w.make_inputs()
    expected = [a.copy() for a in arrays[:-1]] + [np.asarray(w.reference(*arrays)[0]) + 1.0]
    with pytest.raises(WrongResult):
        evaluate(art.to_bytes(), arrays, expected)
