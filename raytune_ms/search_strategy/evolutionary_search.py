"""EvolutionarySearch: the learning search. Each batch starts from a population of the
database's best measured schedules and random replays of the design spaces, evolves it for a
few rounds (the cost model scores every member, parents are drawn in proportion to their score
and mutated by the space generator's mutators), and hands out the best-scored programs not
measured before, plus a few random ones (eps-greedy) so a wrong model cannot starve the search.
A first batch scored at random (the model before its warm-up, nothing measured yet) is drawn
from random replays without the genetic rounds, which would only shuffle them.

The work per population slot (replay or mutate, postprocess, hash, extract features) is a pure
function of a job drawn up front in this process (slot_worker.py), done through the strategy's
`candidate_map` (in process by default; tune_tir over Ray spreads it over worker processes:
actors/search_workers.py), so the batch of a seed is the same whatever the number of workers.

Programs are told apart by the structural hash of the postprocessed module, so two traces that
give the same program are measured once. A run over an existing database keeps its knowledge:
pre_tuning trains the cost model on the records of this workload and target already there,
and seeds the population with them; records of the same workload on another target seed the
population too (replayed and postprocessed for this target, so only those still valid here).
"""

from __future__ import annotations

import heapq
import math
import os

import numpy as np

from .. import tir
from ..database.database import target_key
from ..database.remeasurement import latest_remeasurements, superseded
from ..profiler import Profiler
from ..schedule import Trace
from ..schedule.replay_cache import release_replay_cache, replay_cache
from .candidate_map import SerialMap
from .gc_pause import gc_paused, gc_thaw
from .measured_traces import keyed_text, trace_key
from .replay_trace import new_rng
from .search_strategy import SearchStrategy, candidate_from_schedule
from .slot_worker import COPY, MutateJob, ReplayJob, SlotWorker

#: the error a database record without run times stands for, when it names none
_NO_RUN_TIMES = "no run times recorded"


class _Member:
    """A population member: its candidate (None while only a worker process has it: the search
    replays it when it hands it out), the key of its trace (scores are kept by it), the
    structural hash of its program and its feature rows. In process, the hash is computed
    when first asked for: a member whose score keeps it out of the batch's best is never told
    apart from the others by its program, so most mutated members are never hashed."""

    __slots__ = ("cand", "_key", "_shash", "features", "trace_text", "mutated")

    def __init__(self, cand, key: str | None = None, shash: str | None = None, features=None,
                 trace_text: str | None = None):
        self.cand = cand
        self._key = key
        self._shash = shash
        self.features = features
        self.trace_text = trace_text  # the trace's JSON (what a worker process gets as a parent)
        self.mutated = False  # produced by a mutator (rather than a replay of a space or record)

    @staticmethod
    def of(evaluated) -> _Member:
        return _Member(evaluated.cand, evaluated.key, evaluated.shash, evaluated.features, evaluated.trace_text)

    def parent(self, ships: bool):
        """What a worker gets of this member as a parent: its Trace, or (key, JSON text)."""
        if not ships:
            return self.cand.sch.trace
        if self.trace_text is None:  # (made in this process: its key, if known, stays that of its making)
            key, self.trace_text = keyed_text(self.cand.sch.trace)
            self._key = self._key or key
        return self.key, self.trace_text

    @property
    def key(self) -> str:
        if self._key is None:
            self._key = trace_key(self.cand.sch.trace)
        return self._key

    @property
    def shash(self) -> str:
        if self._shash is None:
            with Profiler.timeit("EvolutionarySearch/StructuralHash"):
                self._shash = tir.structural_hash(self.cand.sch.mod)
        return self._shash


class _RunState:
    def __init__(self, traces, max_trials, per_iter, rng, workload, mutators):
        self.traces = traces  # the design spaces, without postprocs and decisions
        self.mutators = mutators  # (mutator, probability) of those that may be drawn
        self.max_trials = max_trials
        self.per_iter = per_iter
        self.rng = rng
        self.workload = workload  # the database's Workload (None without a database)
        self.st = 0
        self.measured: set[str] = set()  # structural hashes measured (this run and the database)
        self.seeds: list[_Member] = []  # re-validated records of this workload on other targets
        self.db_members: dict[str, _Member | None] = {}  # trace text -> re-validated record
        self.num_mutated = 0  # mutated members produced (all batches)
        self.num_handed_out_mutated = 0  # ... of which handed out
        self.num_trained_records = 0
        self.num_replays = 0  # replays and postprocessing runs (all batches)


class EvolutionarySearch(SearchStrategy):
    """The reference's parameters: population_size members per generation, of which up to
    init_measured_ratio come from the database's best; at least init_min_unmeasured random
    replays must succeed (max_fail_count rounds without one end the search; also the number of
    empty batches in a row after which the space counts as exhausted); genetic_num_iters rounds
    of mutation, each member mutated with genetic_mutate_prob, up to genetic_max_fail_count
    retries per slot; eps_greedy of each batch is random unmeasured replays.

    search_workers: processes that work out the population's slots when the run offers a
    CandidateMap (tune_tir over Ray does: the search's own process and search_workers - 1
    actors on its node); 1 or 0 for the search's own process alone, None for as many as this
    machine has CPUs. Why 2 by default: the builders and runners idle while the search chooses
    a batch, and on a 2-core AVX-512 Xeon two processes take a GMM-1024 evolved batch from
    3.4-4.9 s to 2.4-3.7 s wall (~20% more CPU: each keeps its own replay cache, and shipped
    members are hashed and serialised); without a map (local builder and runner) it is 1.
    candidate_map: the map to use (set by the run; None: in process). The batches of a seed do not depend on either."""

    def __init__(self, population_size: int = 512, init_measured_ratio: float = 0.2,
                 init_min_unmeasured: int = 50, max_fail_count: int = 5, genetic_num_iters: int = 4,
                 genetic_mutate_prob: float = 0.85, genetic_max_fail_count: int = 10,
                 eps_greedy: float = 0.05, search_workers: int | None = 2, candidate_map=None):
        checks = {
            "population_size": population_size >= 1, "init_measured_ratio": 0 <= init_measured_ratio <= 1,
            "init_min_unmeasured": init_min_unmeasured >= 1, "max_fail_count": max_fail_count >= 1,
            "genetic_num_iters": genetic_num_iters >= 0, "genetic_mutate_prob": 0 <= genetic_mutate_prob <= 1,
            "genetic_max_fail_count": genetic_max_fail_count >= 0, "eps_greedy": 0 <= eps_greedy <= 1,
            "search_workers": search_workers is None or search_workers >= 0,
        }
        for name, ok in checks.items():
            if not ok:
                raise ValueError(f"EvolutionarySearch.{name} is out of range: {locals()[name]!r}")
        self.population_size = int(population_size)
        self.init_measured_ratio = float(init_measured_ratio)
        self.init_min_unmeasured = int(init_min_unmeasured)
        self.max_fail_count = int(max_fail_count)
        self.genetic_num_iters = int(genetic_num_iters)
        self.genetic_mutate_prob = float(genetic_mutate_prob)
        self.genetic_max_fail_count = int(genetic_max_fail_count)
        self.eps_greedy = float(eps_greedy)
        self.search_workers = None if search_workers is None else int(search_workers)
        self.candidate_map = candidate_map
        self.exhausted_reason = None
        self._run = None
        self._run_database = None
        self._run_cost_model = None
        self._run_session = None

    def workers_wanted(self) -> int:
        """How many worker processes this search would use (1: none, its own process)."""
        n = self.search_workers if self.search_workers is not None else (os.cpu_count() or 1)
        return max(1, n)

    def clone(self) -> EvolutionarySearch:
        out = super().clone()
        out.exhausted_reason = None
        return out

    # -- lifecycle ---------------------------------------------------------------------------
    def pre_tuning(self, max_trials, num_trials_per_iter, design_spaces, database=None, cost_model=None):
        if not design_spaces:
            raise ValueError("EvolutionarySearch needs at least one design space")
        if cost_model is None:
            raise ValueError("EvolutionarySearch needs a cost model (e.g. CostModel.create('xgb'))")
        ctx = self.context
        traces = [Trace(sch.trace.simplified(remove_postproc=True).insts, {}) for sch in design_spaces]
        workload = None if database is None else database.commit_workload(ctx.mod)
        mutators = [(m, p) for m, p in (ctx.space_generator.mutator_probs or {}).items() if p > 0]
        self._run = state = _RunState(traces, int(max_trials), int(num_trials_per_iter), new_rng(ctx), workload,
                                      mutators)
        self._run_database, self._run_cost_model = database, cost_model
        self._run_session = self._open_session(state, cost_model)
        self.exhausted_reason = None
        if database is not None:
            with Profiler.timeit("EvolutionarySearch/Resume"):
                self._resume(state, database, cost_model)

    def _open_session(self, state, cost_model):
        """The run's session of slot work and whether its jobs leave the process: on the
        strategy's candidate_map when it has one and the model scores from feature rows (or at
        random), else in this process."""
        ctx = self.context
        cmap = self.candidate_map
        if cmap is None or not callable(getattr(cost_model, "predict_extracted", None)):
            cmap = SerialMap()
        worker = SlotWorker(ctx.mod, ctx.target, state.traces, ctx.postprocs, [m for m, _ in state.mutators],
                            getattr(cost_model, "extractor", None))
        return cmap.open(worker.twin(True) if cmap.ships else worker), cmap.ships

    def post_tuning(self):
        if self._run is not None:
            release_replay_cache(self.context.mod)
        if self._run_session is not None:
            self._run_session[0].close()
        self._run = self._run_database = self._run_cost_model = self._run_session = None
        gc_thaw()

    def notify_runner_results(self, measure_candidates, results):
        """The model learns through the UpdateCostModel callback; nothing to do here."""

    # -- replay ------------------------------------------------------------------------------
    def _replay(self, trace: Trace, state) -> _Member | None:
        """`trace` (a record's: every decision in it; its postprocs dropped) replayed on the
        task's module, then postprocessed; None if a step fails or a postprocessor rejects it.
        (No draw from the run's random state: whether a record is replayed or met as the
        member it was handed out as does not change the batches.)"""
        state.num_replays += 1
        with Profiler.timeit("EvolutionarySearch/Replay"):
            try:
                sch = replay_cache(self.context.mod).replay(trace)
                cand = candidate_from_schedule(sch, self.context.postprocs)
            except Exception:  # noqa: BLE001 - any failure of a replay only drops that sample
                return None
        return None if cand is None else _Member(cand)

    def _candidate(self, member: _Member):
        """The member's candidate, replayed here from its trace if a worker process made it
        (its decisions are all there: the same program comes out); None if that fails."""
        if member.cand is None:
            with Profiler.timeit("EvolutionarySearch/Materialize"):
                try:
                    sch = replay_cache(self.context.mod).replay(Trace.from_json(member.trace_text))
                    member.cand = candidate_from_schedule(sch, self.context.postprocs)
                except Exception:  # noqa: BLE001 - a member that does not come back is passed over
                    return None
        return member.cand

    def _map(self, jobs: list, parents: list) -> list:
        return self._run_session[0].map(jobs, parents)

    def _wants_features(self) -> bool:
        """Whether the workers extract feature rows: the model scores from them, and is past
        its warm-up (before, scores are random and rows would be wasted)."""
        model = self._run_cost_model
        return getattr(model, "extractor", None) is not None and not _scores_at_random(model)

    def _scores(self, members: list[_Member]) -> np.ndarray:
        ctx, model = self.context, self._run_cost_model
        if not callable(getattr(model, "predict_extracted", None)):
            return model.predict(ctx, [self._candidate(m) for m in members])

        def features():
            with Profiler.timeit("EvolutionarySearch/Features"):
                for m in members:
                    if m.features is None:
                        m.features = model.extractor.extract_from(ctx, [self._candidate(m)])[0]
            return [m.features for m in members]

        return model.predict_extracted(len(members), features)

    def _record_member(self, state, record) -> _Member | None:
        """A database record re-validated on this task (cached by its trace text; a record of
        a candidate this run handed out is its member, not replayed)."""
        text = record.trace_text()
        if text not in state.db_members:
            try:
                trace = record.trace
            except Exception:  # noqa: BLE001 - a record that does not parse is skipped
                state.db_members[text] = None
            else:
                state.db_members[text] = self._replay(trace, state)
        return state.db_members[text]

    # -- resume ------------------------------------------------------------------------------
    def _resume(self, state, database, cost_model) -> None:
        """Mark the database's programs of this workload and target measured, train the cost
        model on them, and keep the valid records of other targets as seeds."""
        from ..runner import RunnerResult

        ctx = self.context
        mine = target_key(ctx.target)
        cands, results, others = [], [], []
        records = [rec for rec in database.get_all_tuning_records()
                   if rec.workload.shash == state.workload.shash and rec.workload.same_as(state.workload)]
        latest = latest_remeasurements((r.target_key, r.trace_text(), r.time) for r in records
                                       if r.is_remeasurement and r.is_valid())
        for rec in records:
            if latest and superseded(latest, rec.target_key, rec.trace_text(), rec.time):
                continue  # its re-measurement stands for it: the model learns the honest time
            if rec.target_key != mine:
                if rec.is_valid():
                    others.append(rec)
                continue
            member = self._record_member(state, rec)
            if member is None:
                continue
            state.measured.add(member.shash)
            cands.append(member.cand)
            results.append(RunnerResult(rec.run_secs) if rec.is_valid()
                           else RunnerResult(None, rec.error or _NO_RUN_TIMES))
        if cands:
            with Profiler.timeit("EvolutionarySearch/TrainOnDatabase"):
                cost_model.update(ctx, cands, results)
            state.num_trained_records = len(cands)
            ctx.logger.info("EvolutionarySearch: cost model trained on %d records from the database", len(cands))
            warmup, size = getattr(cost_model, "num_warmup_samples", 0), getattr(cost_model, "data_size", None)
            if size is not None and size < warmup:
                ctx.logger.info("EvolutionarySearch: the model scores at random until it holds %d samples (%d now)",
                                warmup, size)
        limit = int(self.population_size * self.init_measured_ratio)
        seen = set(state.measured)
        for rec in sorted(others, key=lambda r: r.mean_run_secs):
            if len(state.seeds) >= limit:
                break
            member = self._record_member(state, rec)
            if member is not None and member.shash not in seen:
                seen.add(member.shash)
                state.seeds.append(member)
        if others:
            ctx.logger.info("EvolutionarySearch: %d of %d records of other targets seed the population",
                            len(state.seeds), len(others))

    # -- one batch ---------------------------------------------------------------------------
    def generate_measure_candidates(self):
        with gc_paused():
            return self._generate()

    def _generate(self):
        state = self._run
        if state is None:
            raise RuntimeError("EvolutionarySearch: call pre_tuning before generate_measure_candidates")
        if state.st >= state.max_trials or self.exhausted_reason is not None:
            return None
        n = min(state.per_iter, state.max_trials - state.st)
        for _ in range(self.max_fail_count):  # (an empty batch would end the task)
            random_scores = _scores_at_random(self._run_cost_model)
            out = self._random_batch(state, n) if random_scores else self._evolved_batch(state, n)
            if out is None:
                return None
            if out:
                state.st += len(out)
                return out
        self._stop(f"design space exhausted: {self.max_fail_count} populations in a row held no program "
                   f"not measured before ({len(state.measured)} measured); stopping at {state.st} of "
                   f"{state.max_trials} trials")
        return None

    def _stop(self, reason: str) -> None:
        self.exhausted_reason = reason
        self.context.logger.warning("EvolutionarySearch: %s", reason)

    def _measured_members(self, state) -> list[_Member]:
        """The database's best valid records of this workload and target, then the other
        targets' seeds, up to init_measured_ratio of the population (all re-validated)."""
        limit = int(self.population_size * self.init_measured_ratio)
        out: list[_Member] = []
        if self._run_database is not None and limit > 0:
            for rec in self._run_database.get_top_k(state.workload, limit, target=self.context.target):
                member = self._record_member(state, rec)
                if member is not None:
                    out.append(member)
        return out + state.seeds[:max(0, limit - len(out))]

    def _random_members(self, state, num: int) -> list[_Member] | None:
        """Random replays of the design spaces: rounds of `num` draws until at least
        init_min_unmeasured succeeded; None (and the search stops) after max_fail_count rounds
        without a success."""
        out: list[_Member] = []
        fails = 0
        num = max(num, self.init_min_unmeasured)
        features = self._wants_features()
        while len(out) < self.init_min_unmeasured:
            jobs = [ReplayJob(state.rng.randrange(len(state.traces)), state.rng.getrandbits(62), features)
                    for _ in range(num)]
            state.num_replays += len(jobs)
            with Profiler.timeit("EvolutionarySearch/Replay"):
                got = [_Member.of(ev) for ev in self._map(jobs, []) if ev is not None]
            out.extend(got)
            if not got:
                fails += 1
                if fails >= self.max_fail_count:
                    self._stop(f"{fails} rounds of {num} random replays of the design spaces all failed or "
                               f"were rejected by a postprocessor; stopping at {state.st} of {state.max_trials} "
                               f"trials")
                    return None
        return out

    def _evolved_batch(self, state, n: int) -> list | None:
        """A batch chosen by the model: the database's best and random replays, evolved, then
        picked with eps_greedy (None: the search stopped)."""
        with Profiler.timeit("EvolutionarySearch/InitPopulation"):
            measured = self._measured_members(state)
            randoms = self._random_members(state, self.population_size - len(measured))
        if randoms is None:
            return None
        with Profiler.timeit("EvolutionarySearch/Evolve"):
            bests = self._evolve(state, measured + randoms, n)
        return self._pick(state, bests, randoms, n)

    def _random_batch(self, state, n: int) -> list | None:
        """A batch while the model scores at random (see _scores_at_random): the other targets'
        seeds not measured here, then random replays, drawn until n programs not measured
        before or a round adds none (None: the search stopped)."""
        out: list = []
        bests = list(state.seeds)
        while len(out) < n:
            with Profiler.timeit("EvolutionarySearch/InitPopulation"):
                randoms = self._random_members(state, n - len(out))
            if randoms is None:
                return None
            got = self._pick(state, bests, randoms, n - len(out))
            if not got:
                break
            out.extend(got)
            bests = []
        return out

    def _evolve(self, state, population: list[_Member], k: int) -> list[_Member]:
        """The best `k` programs not measured before, by model score, over genetic_num_iters
        rounds of mutation (best first)."""
        exists = set(state.measured)
        heap: list = []  # (score, tie, member): the k best seen, smallest on top
        scores_of: dict[str, float] = {}  # trace key -> score: the model is fixed within a batch
        tie = 0
        for it in range(self.genetic_num_iters + 1):
            new = list({m.key: m for m in population if m.key not in scores_of}.values())
            if new:
                with Profiler.timeit("EvolutionarySearch/Predict"):
                    for m, s in zip(new, self._scores(new)):
                        scores_of[m.key] = max(0.0, float(s)) if math.isfinite(s) else 0.0
            scores = np.array([scores_of[m.key] for m in population])
            for m, s in zip(population, scores):
                if len(heap) >= k and s <= heap[0][0]:
                    continue  # it cannot enter the heap, nor can a copy of its program (a model scores it alike)
                if m.shash in exists:
                    continue
                exists.add(m.shash)
                tie += 1
                item = (s, -tie, m)
                if len(heap) < k:
                    heapq.heappush(heap, item)
                elif s > heap[0][0]:
                    heapq.heapreplace(heap, item)
            if it == self.genetic_num_iters or not population:
                break
            with Profiler.timeit("EvolutionarySearch/Mutate"):
                population = self._next_generation(state, population, scores)
        return [m for _, _, m in sorted(heap, key=lambda x: (x[0], x[1]), reverse=True)]

    def _next_generation(self, state, population, scores) -> list[_Member]:
        """The next generation: per slot, a list of attempts drawn here up front (a parent in
        proportion to its score; mutate it with a drawn mutator and seed, or copy it unless
        some slot copied it already), worked out by the slot workers. A slot whose attempt is
        a copy of a parent copied already goes on from its next attempt in a further round;
        a slot that runs out of attempts keeps its last parent."""
        rng, mutators = state.rng, state.mutators
        total = sum(p for _, p in mutators)
        size, per_slot = len(population), self.genetic_max_fail_count + 1
        weights = scores / scores.sum() if scores.sum() > 0 else None
        parents = np.random.default_rng(rng.getrandbits(62)).choice(
            size, size=self.population_size * per_slot, p=weights).tolist() \
            if weights is not None else [0] * (self.population_size * per_slot)
        features = self._wants_features()
        jobs = []
        for slot in range(self.population_size):
            attempts = []
            for parent in parents[slot * per_slot:(slot + 1) * per_slot]:
                mutate = bool(mutators) and rng.random() < self.genetic_mutate_prob
                mutator = _draw(rng, mutators, total) if mutate else COPY
                attempts.append((parent, mutator, rng.getrandbits(62) if mutate else 0))
            jobs.append(MutateJob(tuple(attempts), 0, features))
        ships = self._run_session[1]
        shipped = [m.parent(ships) for m in population]
        out: list = [None] * self.population_size
        copied = [False] * size
        pending = list(range(self.population_size))
        while pending:
            again = []
            for slot, outcome in zip(pending, self._map([jobs[i] for i in pending], shipped)):
                state.num_replays += outcome.replays
                attempts = jobs[slot].attempts
                if outcome.member is not None:
                    member = out[slot] = _Member.of(outcome.member)
                    member.mutated = True
                    state.num_mutated += 1
                elif outcome.attempt == len(attempts):
                    out[slot] = population[attempts[-1][0]]
                elif not copied[attempts[outcome.attempt][0]]:
                    copied[attempts[outcome.attempt][0]] = True
                    out[slot] = population[attempts[outcome.attempt][0]]
                else:
                    jobs[slot] = jobs[slot]._replace(start=outcome.attempt + 1)
                    again.append(slot)
            pending = again
        return out

    def _pick(self, state, bests: list[_Member], randoms: list[_Member], n: int) -> list:
        """n_best from the heap and the rest (eps_greedy) from the random samples, each list
        falling back on the other; a program measured before (or picked already: a random
        sample can be in the heap too) is passed over for the next one, so the batch is short
        only when both lists run out (a short batch costs a whole search for the rest)."""
        n_rand = int(n * self.eps_greedy)
        n_best = n - n_rand
        rands = list(randoms)
        state.rng.shuffle(rands)
        b = r = 0
        out = []
        while len(out) < n:
            if len(out) < n_best:
                member, b, r = _take(bests, b, rands, r)
            else:
                member, r, b = _take(rands, r, bests, b)
            if member is None:
                break
            if member.shash in state.measured:
                continue
            state.measured.add(member.shash)
            cand = self._candidate(member)
            if cand is None:
                continue
            if member.mutated:
                state.num_handed_out_mutated += 1
            # its record will hold this text: the next populations take the member as it is
            state.db_members.setdefault(cand.sch.trace.compact_json(), member)
            out.append(cand)
        return out


def _scores_at_random(model) -> bool:
    """Whether the model's scores are uniform random (a feature model before its warm-up).
    With such scores, genetic rounds are a random walk (parents drawn in proportion to random
    scores, the batch the best random scores): the batch is drawn from fresh random replays
    directly, after the other targets' seeds not measured here (beyond the reference, which
    evolves them: on a deep loop nest such as a 7x7 convolution that took ~70% of a 64-trial
    run, and on GMM-1024 ~20% of the second batch's wall time, the model's last batch at random
    with the reference's 100 warm-up samples)."""
    trained = getattr(model, "trained", None)
    if trained is None:
        return False
    return not trained or getattr(model, "data_size", 0) < getattr(model, "num_warmup_samples", 0)


def _take(first, i, second, j):
    """The next of `first` (else of `second`), with both advanced positions."""
    if i < len(first):
        return first[i], i + 1, j
    if j < len(second):
        return second[j], i, j + 1
    return None, i, j


def _draw(rng, mutators, total) -> int:
    """The index of a mutator drawn in proportion to its probability."""
    r = rng.random() * total
    for i, (_, p) in enumerate(mutators):
        r -= p
        if r < 0:
            return i
    return len(mutators) - 1
