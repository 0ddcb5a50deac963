"""TuneContext: everything one tuning task needs — the module, the target, its design space
generator and search strategy, a random state and a logger — and the calls that delegate to
them."""

from __future__ import annotations

import logging
import os
import traceback

from .tir import IRModule

#: tracebacks logged per context before only counting further failures
MAX_LOGGED_EXCEPTIONS = 5



def resolve_num_threads(num_threads) -> int:
    if isinstance(num_threads, int) and not isinstance(num_threads, bool):
        if num_threads < 1:
            raise ValueError(f"num_threads must be >= 1, got {num_threads}")
        return num_threads
    if num_threads == "logical":
        return os.cpu_count() or 1
    if num_threads == "physical":
        try:
            import psutil

            return psutil.cpu_count(logical=False) or os.cpu_count() or 1
        except ImportError:
            return os.cpu_count() or 1
    raise ValueError(f"num_threads must be an int, 'physical' or 'logical', got {num_threads!r}")


class TuneContext:
    """The resources of one tuning task.

    mod: the workload (a PrimFunc is wrapped as "main"). target: a Target or target string.
    space_generator / search_strategy: objects, or anything their `create` accepts.
    rand_state: a seed in [1, 2^31-1], or -1 for a random one. num_threads: for the search's
    own parallel work. logger: where the task logs (files under work_dir when run by tune_*).
    baseline: what candidates' outputs are checked against — None for the untransformed program
    (built once per run), or an object with `expected(arrays)` and `digest()` that computes the
    correct outputs faster (e.g. `workloads.SuiteBaseline`).
    """

    def __init__(self, mod=None, *, target=None, space_generator=None, search_strategy=None,
                 task_name: str = "main", rand_state: int = -1, num_threads="physical", logger=None,
                 baseline=None):
        from .search_strategy import SearchStrategy
        from .space_generator import SpaceGenerator

        self.mod = None if mod is None else IRModule.from_any(mod)
        if target is not None and not hasattr(target, "kind"):
            from .target import Target

            target = Target(target)
        self.target = target
        if rand_state is None:
            rand_state = -1
        if rand_state != -1 and not 1 <= int(rand_state) < 2**31:
            raise ValueError(f"rand_state must be -1 or in [1, 2^31-1], got {rand_state}")
        self.rand_state = int(rand_state)
        self.task_name = task_name
        self.num_threads = resolve_num_threads(num_threads)
        self.logger = logger or logging.getLogger(f"raytune_ms.task.{task_name}")
        self.num_exceptions = 0
        if baseline is not None and not (callable(getattr(baseline, "expected", None))
                                         and callable(getattr(baseline, "digest", None))):
            raise TypeError(f"TuneContext {task_name!r}: baseline must have expected(arrays) and "
                            f"digest(), got {type(baseline).__name__}")
        self.baseline = baseline
        if space_generator is not None and not isinstance(space_generator, SpaceGenerator):
            space_generator = SpaceGenerator.create(space_generator)
        if isinstance(search_strategy, str):
            search_strategy = SearchStrategy.create(search_strategy)
        self.space_generator = space_generator
        self.search_strategy = search_strategy
        if space_generator is not None:
            space_generator._initialize_with_tune_context(self)
        if search_strategy is not None:
            search_strategy._initialize_with_tune_context(self)

    @property
    def postprocs(self) -> list:
        gen = self.space_generator
        return list(gen.postprocs) if gen is not None and isinstance(gen.postprocs, list) else []

    def log_exception(self, message: str, err: BaseException) -> None:
        """Log a failure of the search (with a traceback for the first few)."""
        self.num_exceptions += 1
        if self.num_exceptions <= MAX_LOGGED_EXCEPTIONS:
            tb = "".join(traceback.format_exception(type(err), err, err.__traceback__))
            self.logger.warning("%s: %s\n%s", message, err, tb)
        elif self.num_exceptions == MAX_LOGGED_EXCEPTIONS + 1:
            self.logger.warning("%s: further failures are counted, not logged", message)

    # -- delegation ----------------------------------------------------------------------
    def _need(self, what: str):
        value = getattr(self, what)
        if value is None:
            raise ValueError(f"TuneContext {self.task_name!r} has no {what}")
        return value

    def generate_design_space(self) -> list:
        return self._need("space_generator").generate_design_space(self._need("mod"))

    def pre_tuning(self, max_trials: int, num_trials_per_iter: int = 64, design_spaces=None,
                   database=None, cost_model=None) -> None:
        if design_spaces is None:
            design_spaces = self.generate_design_space()
        self._need("search_strategy").pre_tuning(
            max_trials, num_trials_per_iter, design_spaces, database, cost_model
        )

    def post_tuning(self) -> None:
        self._need("search_strategy").post_tuning()

    def generate_measure_candidates(self):
        return self._need("search_strategy").generate_measure_candidates()

    def notify_runner_results(self, measure_candidates, results) -> None:
        self._need("search_strategy").notify_runner_results(measure_candidates, results)

    def clone(self) -> TuneContext:
        return TuneContext(
            self.mod,
            target=self.target,
            space_generator=None if self.space_generator is None else self.space_generator.clone(),
            search_strategy=None if self.search_strategy is None else self.search_strategy.clone(),
            task_name=self.task_name,
            rand_state=self.rand_state,
            num_threads=self.num_threads,
            logger=self.logger,
            baseline=self.baseline,
        )

    def __repr__(self):
        return f"TuneContext(task_name={self.task_name!r}, target={str(self.target)!r})"
