"""TuneContext wiring, and logs that go to files under work_dir rather than stdout."""

import logging

import pytest

import raytune_ms as ms
from raytune_ms.logging import get_loggers_from_work_dir
from raytune_ms.search_strategy import ReplayTrace
from raytune_ms.space_generator import ScheduleFn
from raytune_ms.tune_context import TuneContext


def test_a_prim_func_becomes_a_main_module_and_parts_are_created():
    wl = ms.workloads.get("GMM", "small")
    ctx = TuneContext(wl.func, target="llvm", space_generator=lambda sch: None,
                      search_strategy="replay-trace", task_name="gmm", rand_state=3)
    assert ctx.mod.get_global_vars() == ["main"]
    assert isinstance(ctx.space_generator, ScheduleFn) and isinstance(ctx.search_strategy, ReplayTrace)
    assert ctx.search_strategy.context is ctx
    assert str(ctx.target).startswith("llvm")
    (space,) = ctx.generate_design_space()
    assert ms.tir.structural_equal(space.mod, ctx.mod)
    clone = ctx.clone()
    assert clone.search_strategy is not ctx.search_strategy and clone.task_name == "gmm"


def test_rand_state_is_validated():
    with pytest.raises(ValueError, match="rand_state"):
        TuneContext(target="llvm", rand_state=0)


def test_schedule_fn_result_type_is_checked():
    wl = ms.workloads.get("GMM", "small")
    ctx = TuneContext(wl.func, target="llvm", space_generator=lambda sch: 42)
    with pytest.raises(TypeError, match="must return None, a Schedule or a list"):
        ctx.generate_design_space()


def test_task_logs_go_to_files_not_stdout(tmp_path, capsys):
    run_logger, (task0, task1) = get_loggers_from_work_dir(str(tmp_path), ["conv", "dense/fused"])
    task0.info("trial 1 done")
    task1.info("trial 2 done")
    run_logger.info("run info")
    for handler in run_logger.handlers + task0.handlers + task1.handlers:
        handler.flush()
    out, err = capsys.readouterr()
    assert out == "" and err == ""
    logs = sorted(p.name for p in (tmp_path / "logs").iterdir())
    assert logs == ["task_000_conv.log", "task_001_dense_fused.log", "tune.log"]
    assert "trial 1 done" in (tmp_path / "logs" / "task_000_conv.log").read_text()
    run_logger.warning("visible once")
    assert "visible once" in capsys.readouterr().err
    again, _ = get_loggers_from_work_dir(str(tmp_path), ["conv", "dense/fused"])
    assert again is run_logger and sum(isinstance(h, logging.FileHandler) for h in again.handlers) == 1
