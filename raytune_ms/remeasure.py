"""Re-measuring each workload's best records at the end of tuning (`tune_tir(...,
remeasure_top_k=K)`, `raytune-ms db remeasure DIR --top-k K`), so the database's best is not
a lucky reading.

Tuning times every candidate once; on a loaded machine a sub-millisecond kernel reads anywhere
in a 20x range from one repeat to the next, and the best of many such readings is the luckiest.
Here the k best records of a workload are built once and timed side by side: `rounds` rounds,
each running all k through the runner (REMEASURE_CONFIG when the runner is given by kind name)
in an order rotated per round, so load hits them alike; outputs are checked against the
baseline as in tuning. Each candidate's readings of all rounds become one new record, marked as
a re-measurement of its trace (database/remeasurement.py: the originals stay stored and the
re-measurement ranks in their place).
"""

from __future__ import annotations

import dataclasses
import logging
import time

from .builder import Builder
from .database import TuningRecord
from .database.database import target_key
from .database.remeasurement import new_remeasure_id
from .post_optimization.measure import build_baseline, build_candidates, run_built
from .runner import Runner, RunnerResult
from .runner.config import EvaluatorConfig

#: per round: the reference runner's timing (number 3, min_repeat_ms 40) with 3 repeats
REMEASURE_CONFIG = EvaluatorConfig(number=3, repeat=3, min_repeat_ms=40)

#: rounds of side-by-side timing: readings per candidate = rounds x the runner's repeats
ROUNDS = 3


@dataclasses.dataclass(frozen=True)
class Remeasured:
    """One workload's re-measurement: its task and hash, and per re-measured record (in the
    order get_top_k ranked them before) its recorded and its re-measured mean run time
    (seconds; None where the re-measurement failed, `errors` says why)."""

    task_name: str
    shash: str
    before_secs: list
    after_secs: list
    errors: list

    @property
    def best_secs(self) -> float | None:
        """The best re-measured mean, the workload's honest best among those re-measured."""
        got = [s for s in self.after_secs if s is not None]
        return min(got) if got else None


def remeasure_best(database, top_k: int, *, target=None, tasks=None, workloads=None, builder="local",
                   runner="local", rounds: int = ROUNDS, logger=None) -> list[Remeasured]:
    """Re-measure the `top_k` best records of each workload and commit the re-measurements.

    tasks: TuneContexts (module, target, task name, baseline) whose workloads to re-measure;
    None: every workload with a valid record measured on `target` (a Target or string; needed
    then, unless the store holds records of one target only), or only those of `workloads`
    (stored Workloads) when given. builder/runner: kind names (created here, the runner with
    REMEASURE_CONFIG and no slow_factor, so every candidate is timed in full, and shut down
    after) or objects (used as they are: a runner's own slow_factor may cut a slow reading to
    one run). Records of another machine cannot be re-timed here: only `target`'s are.
    """
    if int(top_k) < 1:
        raise ValueError(f"remeasure top_k must be >= 1, got {top_k!r}")
    if int(rounds) < 1:
        raise ValueError(f"remeasure rounds must be >= 1, got {rounds!r}")
    logger = logger or logging.getLogger("raytune_ms.remeasure")
    jobs = _jobs(database, tasks, target, workloads)
    if not jobs:
        return []
    own_builder, own_runner = isinstance(builder, str), isinstance(runner, str)
    builder = Builder.create(builder)
    # every candidate timed in full: no one-run shortcut or early stop for slow readings
    runner = Runner.create(runner, evaluator_config=REMEASURE_CONFIG, slow_factor=None) if own_runner else runner
    try:
        out = []
        for workload, job_target, task_name, baseline in jobs:
            got = _one(database, workload, job_target, task_name, baseline, int(top_k), int(rounds),
                       builder, runner)
            if got is not None:
                out.append(got)
                logger.info("re-measured the %d best of %r (%d rounds): %s ms; best now %s ms", len(got.before_secs),
                            task_name, rounds, ", ".join(f"{_ms(b)} -> {_ms(a)}" for b, a in
                                                          zip(got.before_secs, got.after_secs)), _ms(got.best_secs))
                for err in filter(None, got.errors):
                    logger.warning("re-measurement of %r failed: %s", task_name, err)
        return out
    finally:
        if own_builder:
            builder.shutdown()
        if own_runner:
            runner.shutdown()
        database.flush()


def _jobs(database, tasks, target, workloads) -> list:
    """(workload, Target, task name, baseline) per workload to re-measure."""
    from .target import Target

    if tasks is not None:
        return [(database.commit_workload(ctx.mod), ctx.target, ctx.task_name, ctx.baseline) for ctx in tasks]
    wanted = None if workloads is None else {wl.shash for wl in workloads}
    records = [r for r in database.get_all_tuning_records()
               if r.is_valid() and (wanted is None or r.workload.shash in wanted)]
    if target is None:
        targets = sorted({r.target_key for r in records if r.target_key is not None})
        if len(targets) > 1:
            raise ValueError(f"the store holds records of {len(targets)} targets ({'; '.join(targets)}): "
                             "name the one to re-measure on this machine")
        if not targets:
            return []
        target = targets[0]
    key = target_key(target)
    target = target if hasattr(target, "kind") else Target(key)
    seen, out = set(), []
    for rec in records:
        if rec.target_key == key and rec.workload.shash not in seen:
            seen.add(rec.workload.shash)
            out.append((rec.workload, target, rec.task_name or "main", None))
    return out


def _one(database, workload, target, task_name, baseline, top_k, rounds, builder, runner) -> Remeasured | None:
    top = database.get_top_k(workload, top_k, target=target)
    if not top:
        return None
    cands, errors = [], []
    for rec in top:
        try:
            cands.append(rec.as_measure_candidate())
            errors.append(None)
        except Exception as err:  # a stored trace that no longer replays: say so, time the others
            cands.append(None)
            errors.append(f"record {rec.record_id}: its trace does not replay: {type(err).__name__}: {err}")
    if baseline is None:
        baseline = build_baseline(builder, workload.mod, target)
    results, built = build_candidates(cands, builder=builder, target=target, baseline=baseline)
    readings: list = [[] for _ in cands]
    nodes: list = [None] * len(cands)
    for r in range(rounds):
        shift = r % len(built) if built else 0
        got = run_built(built[shift:] + built[:shift], [None] * len(cands), runner)
        for i, res in enumerate(got):
            if res is None or results[i] is not None:
                continue
            if res.error_msg is not None or not res.run_secs:
                results[i] = RunnerResult(error_msg=f"round {r + 1}: {res.error_msg or 'no run time'}")
            else:
                readings[i] += res.run_secs
                nodes[i] = res.node
    now = time.time()
    after = []
    for i, (rec, cand) in enumerate(zip(top, cands)):
        failed = results[i] is not None
        if failed and errors[i] is None:
            errors[i] = f"record {rec.record_id}: {results[i].error_msg}"
        after.append(None if failed else sum(readings[i]) / len(readings[i]))
        if cand is None:
            continue  # nothing was run: no record
        database.commit_tuning_record(TuningRecord(
            rec.trace_text(), workload, None if failed else readings[i], rec.target_key, rec.args_info_json(),
            error=errors[i] if failed else None, task_name=rec.task_name or task_name, node=nodes[i],
            time=now, record_id=new_remeasure_id(),
        ))
    return Remeasured(task_name, workload.shash, [r.mean_run_secs for r in top], after, errors)


def _ms(secs) -> str:
    return "n/a" if secs is None else f"{secs * 1e3:.4g}"
