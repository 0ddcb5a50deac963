"""What keeps measurement cheap without weakening it: a candidate far slower than the task's
best is reported with its one checked run, or stopped when that run goes on and on; a suite
workload is checked against its numpy reference (and wrong kernels are still caught);
reference outputs outlive a crashed child."""

import raytune_ms as ms
from raytune_ms import te
from raytune_ms.arg_info import ArgInfo
from raytune_ms.codegen import build_artifact
from raytune_ms.runner import EvaluatorConfig
from raytune_ms.runner.measurer import Measurer
from raytune_ms.runner.reference import SuiteReference, suite_reference
from raytune_ms.testing import planted
from raytune_ms.tir import IRModule

THREE = EvaluatorConfig(number=1, repeat=3, min_repeat_ms=1)  # no cut below 1 ms (cold runs)


def _add_like(n):
    """An element-wise kernel with the same parameters as GMM (1, n, n) x 3: far faster."""
    a = te.placeholder((1, n, n), name="A")
    b = te.placeholder((1, n, n), name="B")
    c = te.compute((1, n, n), lambda z, i, j: a[z, i, j] + b[z, i, j], name="C")
    return te.create_prim_func([a, b, c])


def _matmul(n):
    a = te.placeholder((1, n, n), name="A")
    b = te.placeholder((1, n, n), name="B")
    k = te.reduce_axis(n, name="k")
    c = te.compute((1, n, n), lambda z, i, j: te.sum(a[z, i, k] * b[z, k, j], axis=[k]), name="C")
    return te.create_prim_func([a, b, c])


def test_a_candidate_far_slower_than_the_best_is_run_once():
    slow_func = _matmul(256)  # unscheduled: some 16 M multiply-adds, ~1000x the add
    args = ArgInfo.from_prim_func(slow_func)
    fast, slow = build_artifact(_add_like(256), "llvm"), build_artifact(slow_func, "llvm")
    measurer = Measurer(evaluator_config=THREE, check_correctness=False)
    try:
        assert len(measurer.measure(fast, args).run_secs) == 3
        assert len(measurer.measure(slow, args).run_secs) == 1
        assert len(measurer.measure(fast, args).run_secs) == 3
    finally:
        measurer.close()
    full = Measurer(evaluator_config=THREE, check_correctness=False, slow_factor=None)
    try:
        full.measure(fast, args)
        assert len(full.measure(slow, args).run_secs) == 3
    finally:
        full.close()


def test_a_first_run_far_past_the_best_is_stopped():
    wl = ms.workloads.get("GMM", "small")
    sch = ms.Schedule(wl.func, seed=0)
    planted.make_planted_space([0, 0, 1, 0])(sch)  # hangs
    hang = planted.planted_build(sch.mod, "llvm")
    args = ArgInfo.from_prim_func(wl.func)
    measurer = Measurer(timeout_sec=60, evaluator_config=THREE)
    try:
        assert measurer.measure(build_artifact(wl.func, "llvm"), args).error_msg is None
        stopped = measurer.measure(hang, args)
        assert stopped.error_msg.startswith("too slow: stopped after 1 s"), stopped.error_msg
        assert measurer.measure(build_artifact(wl.func, "llvm"), args).error_msg is None
    finally:
        measurer.close()


def test_suite_workloads_are_checked_against_numpy():
    wl = ms.workloads.get("GMM", "standard")
    assert repr(suite_reference(IRModule({"main": wl.func}))) == "SuiteReference('GMM', 'standard')"
    assert suite_reference(_add_like(8)) is None
    args = ArgInfo.from_prim_func(wl.func)
    reference = SuiteReference("GMM", "standard")
    measurer = Measurer(evaluator_config=THREE)
    try:
        good = measurer.measure(build_artifact(wl.func, "llvm"), args, reference)
        wrong = measurer.measure(build_artifact(_add_like(128), "llvm"), args, reference)
    finally:
        measurer.close()
    assert good.error_msg is None
    assert wrong.error_msg.startswith("wrong result: argument 2 differs from the reference"), wrong.error_msg


class CountingReference(SuiteReference):
    """A suite reference that notes in a file each time its outputs are computed."""

    __slots__ = ("log",)

    def __init__(self, name, size, log):
        super().__init__(name, size)
        self.log = log

    def __reduce__(self):
        return (CountingReference, (self.name, self.size, self.log))

    def expected(self, arrays):
        with open(self.log, "a") as f:
            f.write("computed\n")
        return super().expected(arrays)


def test_reference_outputs_outlive_a_crashed_child(tmp_path):
    wl = ms.workloads.get("GMM", "small")
    args = ArgInfo.from_prim_func(wl.func)
    sch = ms.Schedule(wl.func, seed=0)
    planted.make_planted_space([0, 1, 0, 0])(sch)
    crashing = planted.planted_build(sch.mod, "llvm")
    sch = ms.Schedule(wl.func, seed=0)
    planted.make_planted_space([0, 0, 0, 1])(sch)
    wrong = planted.planted_build(sch.mod, "llvm")
    log = str(tmp_path / "computed.txt")
    reference = CountingReference("GMM", "small", log)
    measurer = Measurer(evaluator_config=THREE)
    try:
        assert measurer.measure(build_artifact(wl.func, "llvm"), args, reference).error_msg is None
        assert measurer.measure(crashing, args, reference).error_msg.startswith("crash")
        after = measurer.measure(wrong, args, reference)  # a fresh child, still checking
        assert after.error_msg.startswith("wrong result"), after.error_msg
    finally:
        measurer.close()
    assert open(log).read().count("computed") == 1


def test_every_suite_reference_agrees_with_its_unscheduled_program_on_the_checkers_inputs():
    from raytune_ms.runner.config import CorrectnessConfig
    from raytune_ms.runner.evaluate import arg_specs, compare, load, run_once, seeded_inputs

    check = CorrectnessConfig()
    for name in ms.workloads.names():
        wl = ms.workloads.get(name, "small")
        specs = arg_specs(ArgInfo.from_prim_func(wl.func))
        program = run_once(load(build_artifact(wl.func, "llvm"), specs), specs, check.seed)
        numpy = SuiteReference(name, "small").expected([a.copy() for a in seeded_inputs(specs, check.seed)])
        compare(program, numpy, check.rtol, check.atol)
