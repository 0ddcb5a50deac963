"""PostOpt: after tuning, a Droplet search around each workload's best record, measured, its
records written to the same database (so `compile_tir` picks up whatever it finds).

It exploits where tuning explores: the evolutionary search moves tile factors at random,
while Droplet walks every neighbouring tiling of the best one and keeps a move only when a
t-test says it is faster. Candidates are timed with EVALUATOR_CONFIG (three run times each, for
the test) when the runner is given as a kind name, and checked against the baseline as in
tuning, so a wrong program becomes an error record and is never the best.
"""

from __future__ import annotations

import dataclasses
import logging

from ..builder import Builder
from ..database import Database
from ..database.database import target_key
from ..runner import Runner
from .droplet import Droplet
from .measure import EVALUATOR_CONFIG, build_baseline, commit, measure_candidates
from .space import Space


@dataclasses.dataclass(frozen=True)
class PostOptResult:
    """One workload's post-optimization: its task, the start and final best mean run times
    (seconds, as measured by post-optimization), points measured, moves made, why it stopped."""

    task_name: str
    start_secs: float | None
    best_secs: float | None
    trials: int
    moves: int
    stop_reason: str


class PostOpt:
    """work_dir: where the database lives (database: a kind name, stored under work_dir, or a
    Database); target: the Target whose records are improved; trials: most points measured per
    workload. builder/runner: kind names (created here, the runner with EVALUATOR_CONFIG, and
    shut down after) or objects (used as they are). pvalue, batch: the Droplet's."""

    def __init__(self, work_dir: str, target, trials: int = 100, *, database="parquet", builder="local",
                 runner="local", pvalue: float = 0.05, batch: int | None = None, logger=None):
        from ..target import Target

        if int(trials) < 1:
            raise ValueError(f"PostOpt.trials must be >= 1, got {trials!r}")
        self.work_dir = work_dir
        self.target = target if hasattr(target, "kind") else Target(target)
        self.trials = int(trials)
        self.database = (Database.create(database, work_dir=work_dir) if isinstance(database, str)
                         else database)
        self.builder, self.runner = builder, runner
        self.pvalue, self.batch = pvalue, batch
        self.logger = logger or logging.getLogger("raytune_ms.post_optimization")

    def run(self, tasks=None) -> list[PostOptResult]:
        """Post-optimize `tasks` (TuneContexts: module, task name, baseline), or every workload
        with a valid record for the target when None. Workloads without one are skipped."""
        builder = Builder.create(self.builder)
        runner = Runner.create(self.runner, evaluator_config=EVALUATOR_CONFIG) if isinstance(self.runner, str) \
            else self.runner
        try:
            jobs = self._jobs(tasks)
            return [self._one(*job, builder=builder, runner=runner) for job in jobs]
        finally:
            for kind, pool in ((self.builder, builder), (self.runner, runner)):
                if isinstance(kind, str):
                    pool.shutdown()
            self.database.flush()

    def _jobs(self, tasks) -> list:
        """(workload, best record, task name, baseline) per workload to post-optimize."""
        mine = target_key(self.target)
        if tasks is not None:
            out = []
            for ctx in tasks:
                workload = self.database.commit_workload(ctx.mod)
                top = self.database.get_top_k(workload, 1, target=self.target)
                if top:
                    out.append((workload, top[0], ctx.task_name, ctx.baseline))
            return out
        seen, out = set(), []
        for rec in self.database.get_all_tuning_records():
            if rec.target_key != mine or not rec.is_valid() or rec.workload.shash in seen:
                continue
            seen.add(rec.workload.shash)
            top = self.database.get_top_k(rec.workload, 1, target=self.target)
            out.append((rec.workload, top[0], top[0].task_name or "main", None))
        return out

    def _one(self, workload, record, task_name, baseline, *, builder, runner) -> PostOptResult:
        space = Space(record, workload.mod, self.target)
        droplet = Droplet(space, pvalue=self.pvalue, batch=self.batch)
        if baseline is None:
            baseline = build_baseline(builder, workload.mod, self.target)

        def measure(batch):
            cands = [space.template(knob) for _, knob in batch]
            results = measure_candidates(cands, builder=builder, runner=runner, target=self.target,
                                         baseline=baseline)
            commit(self.database, workload, cands, results, target=self.target, task_name=task_name)
            return [r.run_secs if r.error_msg is None else None for r in results]

        best = droplet.tune(measure, self.trials)
        result = PostOptResult(task_name, _mean(droplet.start_costs), _mean(best), droplet.count, droplet.moves,
                               droplet.stop_reason)
        self.logger.info("post-optimization of %r (%r): %d points, %d moves, %s -> %s ms; %s", task_name, space,
                         result.trials, result.moves, _ms(result.start_secs), _ms(result.best_secs),
                         result.stop_reason)
        return result


def _mean(secs) -> float | None:
    return None if not secs else sum(secs) / len(secs)


def _ms(secs) -> str:
    return "n/a" if secs is None else f"{secs * 1e3:.4f}"


def post_optimize(tasks, work_dir: str, database, builder, runner, logger=None) -> list[PostOptResult]:
    """What `tune_tasks(..., post_optimization=True)` runs after tuning: PostOpt with its
    defaults over `tasks` (TuneContexts), one PostOpt per target, writing to `database`."""
    by_target: dict = {}
    for ctx in tasks:
        by_target.setdefault(target_key(ctx.target), []).append(ctx)
    out = []
    for group in by_target.values():
        post = PostOpt(work_dir, group[0].target, database=database, builder=builder, runner=runner, logger=logger)
        out += post.run(group)
    return out
