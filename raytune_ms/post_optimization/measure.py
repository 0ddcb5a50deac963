"""Measuring a batch of post-optimization candidates: build, run (outputs checked against the
baseline, as in tuning), and commit one tuning record per candidate to the database, a failed
build or run as an error record. Synchronous: the Droplet search needs a round's results
before it chooses the next."""

from __future__ import annotations

import time

from ..builder import BuilderInput
from ..database import TuningRecord
from ..runner import RunnerInput, RunnerResult
from ..runner.config import EvaluatorConfig
from ..task_scheduler.task_scheduler import device_type_of

#: how post-optimization times a candidate: the reference's Space.run number=2, repeat=3 (three
#: run times for the t-test), with tuning's min_repeat_ms=40 rather than its 0, so a
#: microsecond kernel is not timed by call overhead and post-optimization's records compare
#: with tuning's in the same database (compile_tir takes the fastest)
EVALUATOR_CONFIG = EvaluatorConfig(number=2, repeat=3, min_repeat_ms=40)


def build_baseline(builder, mod, target):
    """The untransformed program's artifact, what candidates' outputs are compared with (None,
    so unchecked, if it does not build)."""
    res = builder.build([BuilderInput(mod, target)])[0]
    if res.error_msg is not None:
        return None
    if res.artifact is not None:
        return res.artifact
    with open(res.artifact_path, "rb") as f:
        return f.read()


def measure_candidates(cands, *, builder, runner, target, baseline) -> list[RunnerResult]:
    """One RunnerResult per candidate (None in `cands`: a point that gives no program)."""
    real = [c for c in cands if c is not None]
    built = builder.build([BuilderInput(c.sch.mod, target) for c in real]) if real else []
    inputs, slots = [], []
    results: list = [RunnerResult(error_msg="the point gives no valid program") if c is None else None
                     for c in cands]
    it = iter(built)
    for i, c in enumerate(cands):
        if c is None:
            continue
        res = next(it)
        if res.error_msg is not None or (res.artifact is None and res.artifact_path is None):
            results[i] = RunnerResult(error_msg=res.error_msg or "build produced no artifact")
            continue
        inputs.append(RunnerInput(res.artifact_path, device_type_of(target), c.args_info,
                                  artifact=res.artifact, baseline=baseline))
        slots.append(i)
    for i, future in zip(slots, runner.run(inputs) if inputs else []):
        try:
            results[i] = future.result()
        except Exception as err:  # the runner itself failed for this candidate
            results[i] = RunnerResult(error_msg=f"runner failed: {type(err).__name__}: {err}")
    return results


def commit(database, workload, cands, results, *, target, task_name) -> None:
    """A tuning record per measured candidate (points without a program are not recorded)."""
    now = time.time()
    for cand, result in zip(cands, results):
        if cand is None:
            continue
        ok = result.error_msg is None and bool(result.run_secs)
        database.commit_tuning_record(TuningRecord(
            cand.sch.trace, workload, result.run_secs if ok else None, target, cand.args_info,
            error=None if ok else (result.error_msg or "no run time"), task_name=task_name,
            node=result.node, time=now,
        ))
