"""Incremental trace replay: a trie of schedule states, one per replayed prefix of a trace.

The search replays thousands of traces of one design space on the same module, and most of
each replay repeats one done before: the instructions before the first sampling decision are
the same in every trace of a space, and a mutated trace differs from its parent only from the
mutated decision on. The IR is immutable and a Schedule copy shares its program, so the state
after every step can be kept (a copy costs its symbol table and trace list) and a new replay
starts from the deepest state whose steps match its own.

A step matches when its kind, inputs (the random variables of the cached state, by identity),
attrs and decision (exact types: 32 and 32.0 differ) are the same. A step that samples without
a decision is keyed by the decision it drew, so a later trace that carries that decision reuses
it; and a later replay that has to draw there draws on a copy of the cached state with its own
random stream (`Schedule(mod, seed)`'s, advanced only by the draws before, exactly as in a plain
replay) and goes on from the state of that decision when it was drawn before. A decided
sampling step draws nothing. The result is the same program, trace and random state as a
plain replay.
"""

from __future__ import annotations

from .error import ScheduleError
from .random_variable import RV
from .sampling import RandState
from .schedule import Schedule
from .trace import translate

_ATTR_KEYS: dict = {}  # id(instruction) -> (instruction, _key of its attrs)
_ATTR_KEYS_CAP = 1 << 16


def _attrs_key(inst):
    """The key of `inst.attrs`, memoised per instruction (attrs never change; a joint
    categorical's candidate list is long, and every replay of a trace holding it asks)."""
    hit = _ATTR_KEYS.get(id(inst))
    if hit is not None and hit[0] is inst:
        return hit[1]
    key = _key(inst.attrs)
    if len(_ATTR_KEYS) >= _ATTR_KEYS_CAP:
        _ATTR_KEYS.clear()
    _ATTR_KEYS[id(inst)] = (inst, key)
    return key


def _key(x):
    """A hashable, type-exact key of an input/attr/decision (RVs by identity)."""
    if isinstance(x, RV):
        return x
    if isinstance(x, (list, tuple)):
        return tuple([y if isinstance(y, RV) else _key(y) for y in x])
    return (type(x), x)


class _State:
    """A schedule state after some steps: the schedule, the outputs of the last step, the
    next steps seen from here (static key -> (takes a decision?, decision key -> _State)) and
    the number of the last replay that went through it (a replay goes through a state's parent
    too, so a parent is never older than its children)."""

    __slots__ = ("sch", "outs", "next", "used")

    def __init__(self, sch, outs):
        self.sch = sch
        self.outs = outs
        self.next: dict = {}
        self.used = 0


class ReplayCache:
    """Replays traces (without their postprocessing) on one module, reusing the states of the
    longest matching prefix replayed before. Once `max_states` states are kept (a replay may
    pass it by its own length), the next replay first drops the states of the least recent
    replays down to `max_states // 2` (the search's parents are the last generations' programs,
    so their states are the ones that pay: starting over instead costs a GMM-1024 batch ~15%
    more replay work at every refill).

    Why 40000: one evolutionary batch on GMM-1024 adds ~12000 states, ~2.7 KB each (a
    schedule copy's symbol table and trace list; the programs are shared), so the cache holds
    the last two or three batches' states in about 100 MB."""

    def __init__(self, mod, max_states: int = 40000):
        self.mod = mod
        self.max_states = int(max_states)
        self.num_states = 0
        self.steps_replayed = 0  # instructions applied (misses)
        self.steps_reused = 0  # instructions skipped thanks to a cached state
        self.num_replays = 0
        self._root = _State(Schedule(mod, seed=0), ())

    def replay(self, trace, seed=0, decision_provider=None) -> Schedule:
        """A new Schedule of the module with `trace` (postprocessing removed) replayed on it,
        as `trace.apply_to_schedule(Schedule(mod, seed), remove_postproc=True)` gives.
        `decision_provider(sch, inst, inputs, decision) -> decision` may change decisions; it
        sees the schedule as it is before the instruction and must not change it."""
        rv_map: dict = {}
        insts = trace.instructions(True)
        decisions = trace.decisions
        rng = RandState(seed)
        if self.num_states >= self.max_states:
            self._drop_least_recent(self.max_states // 2)
        self.num_replays += 1
        stamp = self.num_replays
        node, i, n = self._root, 0, len(insts)
        pending = None  # (inputs, decision) of insts[i], computed while walking
        sch = None  # set when the walk stopped after applying a step itself (a new draw)
        while i < n:
            inst = insts[i]
            inputs = [translate(x, rv_map) for x in inst.inputs]
            decision = decisions.get(inst)
            if decision_provider is not None:
                decision = decision_provider(node.sch, inst, inputs, decision)
            edge = node.next.get((inst.kind.name, _key(inputs), _attrs_key(inst)))
            if edge is None:
                pending = (inputs, decision)
                break
            if decision is None and edge[0]:  # a sampling step to draw: draw it as a plain replay would
                drawn = node.sch.copy()
                drawn._rng = rng
                before = len(drawn._trace)
                outputs = self._apply(drawn, inst, inputs, None)
                child = None
                if len(drawn._trace) == before + 1:
                    recorded = drawn._trace.decisions.get(drawn._trace.insts[-1])
                    child = None if recorded is None else edge[1].get(_key(recorded))
                if child is None:  # a new draw: the replay goes on from `drawn`
                    self.steps_replayed += 1
                    _bind(inst, outputs, rv_map)
                    node = self._add(node, inst, inputs, None, drawn, before, outputs)
                    sch = drawn
                    break
            else:
                child = edge[1].get(None if decision is None else _key(decision))
                if child is None:
                    pending = (inputs, decision)
                    break
            _bind(inst, child.outs, rv_map)
            node = child
            node.used = stamp
            i += 1
        self.steps_reused += i
        if sch is None:
            sch = node.sch.copy()
            sch._rng = rng
        else:
            i += 1
        cache = node is not None
        while i < n:
            inst = insts[i]
            if pending is not None:
                inputs, decision = pending
                pending = None
            else:
                inputs = [translate(x, rv_map) for x in inst.inputs]
                decision = decisions.get(inst)
                if decision_provider is not None:
                    decision = decision_provider(sch, inst, inputs, decision)
            before = len(sch._trace)
            outputs = self._apply(sch, inst, inputs, decision)
            _bind(inst, outputs, rv_map)
            self.steps_replayed += 1
            if cache:
                node = self._add(node, inst, inputs, decision, sch, before, outputs)
                cache = node is not None
            i += 1
        return sch

    @staticmethod
    def _apply(sch, inst, inputs, decision):
        outputs = inst.kind.apply(sch, inputs, inst.attrs, decision)
        if len(outputs) != len(inst.outputs):
            raise ScheduleError(f"replaying {inst.kind.name}: expected {len(inst.outputs)} outputs, "
                                f"got {len(outputs)}")
        return outputs

    def _add(self, node, inst, inputs, decision, sch, before, outputs):
        """The state after `inst` (as applied to `sch`) as a child of `node`; None if the
        instruction recorded something other than one instruction (not cacheable)."""
        if len(sch._trace) != before + 1:
            return None
        recorded = sch._trace.decisions.get(sch._trace.insts[-1])
        if decision is not None and recorded is None:
            return None
        static = (inst.kind.name, _key(inputs), _attrs_key(inst))
        edge = node.next.get(static)
        if edge is None:
            edge = node.next[static] = [recorded is not None, {}]
        if edge[0] != (recorded is not None):
            return None
        key = None if recorded is None else _key(recorded)
        child = edge[1].get(key)
        if child is None:
            child = edge[1][key] = _State(sch.copy(), tuple(outputs))
            self.num_states += 1
        child.used = self.num_replays
        return child

    def _drop_least_recent(self, keep: int) -> None:
        """Keep about `keep` states, those of the most recent replays (whole subtrees go: a
        state is never more recent than its parent)."""
        stamps, stack = [], [self._root]
        while stack:
            for edge in stack.pop().next.values():
                for child in edge[1].values():
                    stamps.append(child.used)
                    stack.append(child)
        if len(stamps) <= keep:
            return
        cutoff = sorted(stamps, reverse=True)[keep] + 1 if keep > 0 else self.num_replays + 1
        kept, stack = 0, [self._root]
        while stack:
            node = stack.pop()
            for static in list(node.next):
                children = node.next[static][1]
                for key in [k for k, c in children.items() if c.used < cutoff]:
                    del children[key]
                if not children:
                    del node.next[static]
                kept += len(children)
                stack.extend(children.values())
        self.num_states = kept


def _bind(inst, outputs, rv_map) -> None:
    for old, new in zip(inst.outputs, outputs):
        rv_map[old] = new


_CACHES: dict = {}  # id(module) -> ReplayCache
_CACHES_CAP = 4  # tasks tuned at once keep theirs; more start over (states cost memory)


def replay_cache(mod) -> ReplayCache:
    """The shared ReplayCache of `mod` (the same module object gives the same cache)."""
    hit = _CACHES.get(id(mod))
    if hit is not None and hit.mod is mod:
        return hit
    if len(_CACHES) >= _CACHES_CAP:
        _CACHES.clear()
    _CACHES[id(mod)] = cache = ReplayCache(mod)
    return cache


def release_replay_cache(mod) -> None:
    """Drop `mod`'s shared cache (a finished search frees its states)."""
    hit = _CACHES.get(id(mod))
    if hit is not None and hit.mod is mod:
        del _CACHES[id(mod)]
