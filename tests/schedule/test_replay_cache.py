"""ReplayCache gives what a plain replay gives: the same program (structural hash), trace and
random state, for every suite workload's design spaces with random and mutated decisions."""

import json
import random

import pytest

from raytune_ms import tir, workloads
from raytune_ms.mutator import Mutator
from raytune_ms.schedule import Schedule, ScheduleError, Trace
from raytune_ms.schedule.replay_cache import ReplayCache
from raytune_ms.tune_context import TuneContext


def _plain(mod, trace, seed, provider=None):
    sch = Schedule(mod, seed=seed)
    wrapped = None if provider is None else (lambda inst, inputs, attrs, d: provider(sch, inst, inputs, d))
    trace.apply_to_schedule(sch, remove_postproc=True, decision_provider=wrapped)
    return sch


def _same(a, b):
    assert tir.structural_hash(a.mod) == tir.structural_hash(b.mod)
    assert json.dumps(a.trace.as_json()) == json.dumps(b.trace.as_json())
    assert a._rng.state == b._rng.state


def _outcome(fn):
    try:
        return fn(), None
    except ScheduleError as e:
        return None, str(e)


@pytest.mark.parametrize("name", workloads.names())
def test_fast_replay_matches_plain_replay(name):
    ctx = TuneContext(workloads.get(name, "small").func, target="llvm", space_generator="post-order-apply",
                      rand_state=3)
    spaces = [Trace(s.trace.simplified(remove_postproc=True).insts, {}) for s in ctx.generate_design_space()]
    cache = ReplayCache(ctx.mod)
    rng = random.Random(7)
    mutators = list(Mutator.create("llvm"))
    for m in mutators:
        m._initialize_with_tune_context(ctx)
    for i in range(6):
        space, seed = spaces[i % len(spaces)], rng.getrandbits(40)
        plain = _plain(ctx.mod, space, seed)  # random decisions
        _same(cache.replay(space, seed), plain)
        recorded = plain.trace
        _same(cache.replay(recorded, seed + 1), _plain(ctx.mod, recorded, seed + 1))  # all decided: reused
        for m in mutators:  # mutated decisions (a mutator replays through the shared cache itself)
            out = m.apply(recorded, rng.getrandbits(30))
            if out is None:
                continue
            fast, fast_err = _outcome(lambda out=out: cache.replay(out, 5))
            slow, slow_err = _outcome(lambda out=out: _plain(ctx.mod, out, 5))
            assert fast_err == slow_err
            if slow is not None:
                _same(fast, slow)
    assert cache.steps_reused > 0


def test_decision_provider_sees_the_state_before_each_instruction():
    ctx = TuneContext(workloads.get("GMM", "small").func, target="llvm", space_generator="post-order-apply",
                      rand_state=3)
    space = Trace(ctx.generate_design_space()[0].trace.simplified(remove_postproc=True).insts, {})
    recorded = _plain(ctx.mod, space, 11).trace
    cache = ReplayCache(ctx.mod)
    cache.replay(recorded, 0)

    def seen(log):
        def provider(sch, inst, inputs, decision):
            log.append((inst.kind.name, tir.structural_hash(sch.mod), len(sch.trace)))
            return decision
        return provider

    fast, slow = [], []
    _same(cache.replay(recorded, 1, seen(fast)), _plain(ctx.mod, recorded, 1, seen(slow)))
    assert fast == slow and cache.steps_reused == len(recorded.insts)


def _count_states(node) -> int:
    return sum(1 + _count_states(c) for edge in node.next.values() for c in edge[1].values())


def test_a_full_cache_drops_its_least_recent_states_and_stays_correct():
    ctx = TuneContext(workloads.get("GMM", "small").func, target="llvm", space_generator="post-order-apply",
                      rand_state=3)
    space = Trace(ctx.generate_design_space()[0].trace.simplified(remove_postproc=True).insts, {})
    traces = [_plain(ctx.mod, space, seed).trace for seed in range(6)]
    cache = ReplayCache(ctx.mod, max_states=3 * len(space.insts))
    for k, trace in enumerate(traces):
        _same(cache.replay(trace, k), _plain(ctx.mod, trace, k))
        assert cache.num_states == _count_states(cache._root) <= cache.max_states + len(space.insts)
    # the last trace's states were kept: replaying it again applies nothing
    replayed = cache.steps_replayed
    _same(cache.replay(traces[-1], 9), _plain(ctx.mod, traces[-1], 9))
    assert cache.steps_replayed == replayed
    # the first one's went: it is replayed from the shared prefix of the space on
    _same(cache.replay(traces[0], 9), _plain(ctx.mod, traces[0], 9))
    assert cache.steps_replayed > replayed


def test_an_undefined_random_variable_is_named():
    ctx = TuneContext(workloads.get("GMM", "small").func, target="llvm", space_generator="post-order-apply")
    space = Trace(ctx.generate_design_space()[0].trace.simplified(remove_postproc=True).insts, {})
    broken = Trace(space.insts[1:], {})  # drops the instruction defining b0
    with pytest.raises(ScheduleError, match="before defining it"):
        ReplayCache(ctx.mod).replay(broken, 0)


def test_the_shared_cache_is_per_module_and_released():
    from raytune_ms.schedule.replay_cache import release_replay_cache, replay_cache

    a, b = workloads.get("GMM", "small").func, workloads.get("SFM", "small").func
    assert replay_cache(a) is replay_cache(a) and replay_cache(a) is not replay_cache(b)
    first = replay_cache(a)
    release_replay_cache(a)
    assert replay_cache(a) is not first


@pytest.mark.parametrize("name", ["GMM", "C2D", "SFM"])
def test_random_replays_reuse_the_states_of_the_same_draws(name):
    """A step that samples without a decision draws as the plain replay would (same random
    stream) and resumes from the cached state of that draw when there is one."""
    ctx = TuneContext(workloads.get(name, "small").func, target="llvm", space_generator="post-order-apply",
                      rand_state=3)
    spaces = [Trace(s.trace.simplified(remove_postproc=True).insts, {}) for s in ctx.generate_design_space()]
    cache = ReplayCache(ctx.mod)
    rng = random.Random(5)
    for i in range(30):
        space, seed = spaces[i % len(spaces)], rng.getrandbits(40)
        fast, fast_err = _outcome(lambda space=space, seed=seed: cache.replay(space, seed))
        slow, slow_err = _outcome(lambda space=space, seed=seed: _plain(ctx.mod, space, seed))
        assert fast_err == slow_err
        if slow is not None:
            _same(fast, slow)
    def first_draw(space):  # steps before the first sampling step: all a replay reused before
        return next((k for k, inst in enumerate(space.insts) if inst.kind.name.startswith("Sample")),
                    len(space.insts))

    assert cache.steps_reused > sum(first_draw(spaces[i % len(spaces)]) for i in range(30))
