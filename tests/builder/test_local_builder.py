"""LocalBuilder on real programs: artifact bytes for every candidate (faulty kernels build too),
and an error result, never an exception, for a build that fails."""

import raytune_ms as ms
from raytune_ms.builder import BuilderInput, LocalBuilder
from raytune_ms.testing import planted
from raytune_ms.tir import IRModule


def test_builds_return_artifact_bytes():
    func = ms.workloads.get("GMM", "small").func
    builder = LocalBuilder(max_workers=2, f_build=planted.planted_build)
    mods = [IRModule({"main": func})] + planted.planted_modules(func, [0, 1, 2, 3])
    built = builder.build([BuilderInput(m, "llvm") for m in mods])
    builder.shutdown()
    assert all(r.error_msg is None and isinstance(r.artifact, bytes) and r.build_secs > 0 for r in built)


def test_build_errors_are_results():
    def broken(mod, target, params):
        raise RuntimeError("no compiler today")

    builder = LocalBuilder(max_workers=1, f_build=broken)
    (result,) = builder.build([BuilderInput(IRModule({"main": ms.workloads.get("GMM", "small").func}), "llvm")])
    builder.shutdown()
    assert result.artifact is None and "no compiler today" in result.error_msg
