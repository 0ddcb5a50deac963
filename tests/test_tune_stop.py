"""Stopping a tune_tir run (the in-process scheduler, local pools): a Ctrl-C saves every result
delivered and raises TuningInterrupted carrying the database; the signal protocol; tune_tir's
progress and summary."""

import os
import signal

import pytest

import raytune_ms as ms
from raytune_ms import workloads
from raytune_ms.spaces import matmul_space
from raytune_ms.stop_signal import StopOnSignal, TuningInterrupted

LOCAL = dict(builder="local", runner="local", space=matmul_space, seed=1)


def _func():
    return workloads.get("GMM", "small").func


def test_ctrl_c_saves_every_result_and_raises_tuning_interrupted(tmp_path):
    sent = []

    def interrupt_after_two(snapshot):
        if snapshot["trials_done"] >= 2 and not sent:
            sent.append(snapshot["trials_done"])
            os.kill(os.getpid(), signal.SIGINT)  # as a terminal's Ctrl-C (or a notebook's interrupt)

    with pytest.raises(TuningInterrupted) as info:
        ms.tune_tir(_func(), "llvm", str(tmp_path), max_trials_global=32, num_trials_per_iter=2,
                    progress_callback=interrupt_after_two, task_name="gmm", **LOCAL)
    result = info.value.result
    assert isinstance(info.value, KeyboardInterrupt) and result.interrupted
    assert result.stop_reason == "interrupted" and result.tasks[0].stop_reason == "interrupted"
    assert sent[0] <= result.trials < 32
    reopened = ms.Database.create("parquet", work_dir=str(tmp_path))  # what another process sees
    records = reopened.get_all_tuning_records()
    assert len(records) == result.trials == result.records_saved
    assert {r.task_name for r in records} == {"gmm"}
    assert str(info.value) == (f"interrupted after {result.trials} trials; {result.trials} records saved; "
                               "rerun to resume")
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handlers restored


def test_signals_ask_to_stop_then_to_stop_at_once_then_raise():
    calls = []
    before = signal.getsignal(signal.SIGTERM)  # SIG_DFL, or the stores' exit flush
    with StopOnSignal(quiet=True) as stop:
        stop.on_stop(calls.append)
        os.kill(os.getpid(), signal.SIGTERM)
        os.kill(os.getpid(), signal.SIGINT)
        assert calls == [False, True] and stop.requested == 2 and stop.exit_code == 128 + signal.SIGTERM
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
    assert signal.getsignal(signal.SIGTERM) == before
    late = []
    stop.on_stop(late.append)  # a callback registered after the requests hears them
    assert late == [False, True]


def test_tune_tir_progress_and_summary(tmp_path, capsys):
    ms.tune_tir(_func(), "llvm", str(tmp_path / "quiet"), max_trials_global=2, num_trials_per_iter=2, **LOCAL)
    assert capsys.readouterr().err == ""  # not interactive here: silent by default
    ms.tune_tir(_func(), "llvm", str(tmp_path / "shown"), max_trials_global=2, num_trials_per_iter=2,
                progress=True, **LOCAL)
    err = capsys.readouterr().err
    assert "raytune_ms: 2/2 trials (100%), best" in err
    assert err.strip().splitlines()[-1].startswith("tuned 1 task(s): 2 trials, 0 errors, best ")


def test_an_exhausted_space_says_so():
    """GEMV small's matmul space holds a dozen distinct schedules: ReplayTrace runs dry and
    says why (what the CLI's summary and progress line show as stop_reason)."""
    from raytune_ms.task_scheduler import TaskResult, TuneResult
    from raytune_ms.tune import tir_tasks

    (ctx,) = tir_tasks(workloads.get("GEMV", "small").func, "llvm", space=matmul_space, seed=1,
                       strategy="replay-trace")
    ctx.pre_tuning(500, 16, ctx.generate_design_space())
    drawn = 0
    while (cands := ctx.generate_measure_candidates()) is not None:
        drawn += len(cands)
    reason = ctx.search_strategy.exhausted_reason
    assert 0 < drawn < 500 and reason.startswith("design space exhausted")
    task = TaskResult("GEMV", 1, 1.0, drawn, 0, 1.0, True, reason)
    result = TuneResult((task,), trials_submitted=drawn, max_trials_global=500, wall_s=1.0)
    assert result.stop_reason == reason and result.summary_line().endswith(f"ended early: {reason}")
    used = TuneResult((TaskResult("GEMV", 1, 1.0, 5, 0, 1.0, True, "the global trial budget was used"),),
                      trials_submitted=5, max_trials_global=5, wall_s=1.0)
    assert used.stop_reason is None
