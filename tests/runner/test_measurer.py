"""What keeps measurement cheap without weakening it: a candidate far slower than the task's
best is reported with its one checked run, or stopped when that run goes on and on; baseline
outputs outlive a crashed child."""

import raytune_ms as ms
from raytune_ms import te, topi
from raytune_ms.arg_info import ArgInfo
from raytune_ms.codegen import build_artifact
from raytune_ms.runner import EvaluatorConfig
from raytune_ms.runner.measurer import Measurer
from raytune_ms.testing import batch_add, planted
from raytune_ms.workloads import SuiteBaseline

THREE = EvaluatorConfig(number=1, repeat=3, min_repeat_ms=1)  # no cut below 1 ms (cold runs)


def test_a_candidate_far_slower_than_the_best_is_run_once():
    # unscheduled: some 16 M multiply-adds, ~1000x the add
    slow_func = te.create_prim_func(topi.dense.batch_matmul_nkkm(1, 256, 256, 256))
    args = ArgInfo.from_prim_func(slow_func)
    fast, slow = build_artifact(batch_add(256), "llvm"), build_artifact(slow_func, "llvm")
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
    hang = planted.planted_build(planted.planted_modules(wl.func, [planted.HANG], seed=0)[0], "llvm")
    args = ArgInfo.from_prim_func(wl.func)
    measurer = Measurer(timeout_sec=60, evaluator_config=THREE)
    try:
        assert measurer.measure(build_artifact(wl.func, "llvm"), args).error_msg is None
        stopped = measurer.measure(hang, args)
        assert stopped.error_msg.startswith("too slow: stopped after 1 s"), stopped.error_msg
        assert measurer.measure(build_artifact(wl.func, "llvm"), args).error_msg is None
    finally:
        measurer.close()


class CountingBaseline(SuiteBaseline):
    """A suite baseline that notes in a file each time its outputs are computed."""

    __slots__ = ("log",)

    def __init__(self, name, size, log):
        super().__init__(name, size)
        self.log = log

    def __reduce__(self):
        return (CountingBaseline, (self.name, self.size, self.log))

    def expected(self, arrays):
        with open(self.log, "a") as f:
            f.write("computed\n")
        return super().expected(arrays)


def test_baseline_outputs_outlive_a_crashed_child(tmp_path):
    wl = ms.workloads.get("GMM", "small")
    args = ArgInfo.from_prim_func(wl.func)
    crashing, wrong = (planted.planted_build(m, "llvm")
                       for m in planted.planted_modules(wl.func, [planted.SEGFAULT, planted.WRONG], seed=0))
    log = str(tmp_path / "computed.txt")
    baseline = CountingBaseline("GMM", "small", log)
    measurer = Measurer(evaluator_config=THREE)
    try:
        assert measurer.measure(build_artifact(wl.func, "llvm"), args, baseline).error_msg is None
        assert measurer.measure(crashing, args, baseline).error_msg.startswith("crash")
        after = measurer.measure(wrong, args, baseline)  # a fresh child, still checking
        assert after.error_msg.startswith("wrong result"), after.error_msg
    finally:
        measurer.close()
    assert open(log).read().count("computed") == 1
