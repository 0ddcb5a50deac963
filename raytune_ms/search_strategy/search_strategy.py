"""The search strategy interface: hands out batches of candidates from the design spaces and
hears back their measured results."""

from __future__ import annotations

import copy

from .. import _registry
from ..measure_candidate import MeasureCandidate


class SearchStrategy(_registry.Registry):
    """Generates measure candidates.

    Lifecycle: `_initialize_with_tune_context(ctx)` once, `pre_tuning(...)` before a run,
    then `generate_measure_candidates()` (None when the strategy is done) interleaved with
    `notify_runner_results(...)`, and `post_tuning()`. The task scheduler streams: it may ask
    for the next batch before every result of the previous one has been notified, and it
    notifies results as they arrive, in small groups. When it hands out None, it may say why
    in `exhausted_reason` (the run's summary shows it).
    """

    exhausted_reason: str | None = None

    KINDS = {
        "replay-trace": "raytune_ms.search_strategy.replay_trace:ReplayTrace",
        "replay-func": "raytune_ms.search_strategy.replay_func:ReplayFunc",
        "evolutionary": "raytune_ms.search_strategy.evolutionary_search:EvolutionarySearch",
    }
    KIND_NOUN = "search strategy"

    def _initialize_with_tune_context(self, context) -> None:
        """Remember the task's context (module, target, space generator, random state)."""
        self.context = context

    def pre_tuning(self, max_trials: int, num_trials_per_iter: int, design_spaces: list,
                   database=None, cost_model=None) -> None:
        raise NotImplementedError

    def post_tuning(self) -> None:
        raise NotImplementedError

    def generate_measure_candidates(self) -> list[MeasureCandidate] | None:
        raise NotImplementedError

    def notify_runner_results(self, measure_candidates: list[MeasureCandidate], results: list) -> None:
        raise NotImplementedError

    def clone(self) -> SearchStrategy:
        """A fresh strategy with the same configuration: attributes named `_run*` (run state)
        are reset to None and the tune context is dropped."""
        out = copy.copy(self)
        out.__dict__ = {k: None if k.startswith("_run") else v for k, v in self.__dict__.items()
                        if k != "context"}
        return out

    @staticmethod
    def create(kind="evolutionary", *args, **kwargs) -> SearchStrategy:
        """A search strategy of a registered kind ("evolutionary", "replay-trace",
        "replay-func"), or `kind` itself if it is one."""
        return SearchStrategy._create_kind(kind, *args, **kwargs)


class PySearchStrategy(SearchStrategy):
    """The base for user strategies (decorate subclasses with `derived_object`): override
    pre_tuning, post_tuning, generate_measure_candidates and notify_runner_results."""


def create(kind="evolutionary", *args, **kwargs) -> SearchStrategy:
    """Same as `SearchStrategy.create`."""
    return SearchStrategy.create(kind, *args, **kwargs)


def candidate_from_schedule(sch, postprocs) -> MeasureCandidate | None:
    """Run the postprocessors on `sch` and wrap it as a candidate; None if one rejects it."""
    from ..arg_info import ArgInfo

    if postprocs:
        sch.enter_postproc()
        for postproc in postprocs:
            if not postproc.apply(sch):
                return None
    return MeasureCandidate(sch, ArgInfo.from_entry_func(sch.mod))
