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
    results, built = build_candidates(cands, builder=builder, target=target, baseline=baseline)
    return run_built(built, results, runner)


def build_candidates(cands, *, builder, target, baseline) -> tuple[list, list]:
    """(results, built): per candidate, a RunnerResult if it failed before running (None in
    `cands` or a failed build) else None; and (position, RunnerInput) of those built, which
    `run_built` may run any number of times."""
    real = [c for c in cands if c is not None]
    outputs = iter(builder.build([BuilderInput(c.sch.mod, target) for c in real]) if real else [])
    results: list = [RunnerResult(error_msg="the point gives no valid program") if c is None else None
                     for c in cands]
    built = []
    for i, c in enumerate(cands):
        if c is None:
            continue
        res = next(outputs)
        if res.error_msg is not None or (res.artifact is None and res.artifact_path is None):
            results[i] = RunnerResult(error_msg=res.error_msg or "build produced no artifact")
            continue
        built.append((i, RunnerInput(res.artifact_path, device_type_of(target), c.args_info,
                                     artifact=res.artifact, baseline=baseline)))
    return results, built


def run_built(built, results, runner) -> list[RunnerResult]:
    """`results` with the run of each built (position, RunnerInput) filled in."""
    results = list(results)
    futures = runner.run([inp for _, inp in built]) if built else []
    for (i, _), future in zip(built, futures):
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
