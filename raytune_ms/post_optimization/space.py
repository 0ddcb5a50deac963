"""Space: the tile decisions of one tuning record as a grid of knobs, the neighbourhood the
Droplet search walks.

A knob is one tile decision of the record's trace (postprocessing dropped): a
sample_perfect_tile (its options: every way of writing the loop's extent, the product of the
recorded tiles, as that many factors with the innermost within the instruction's
max_innermost_factor) or a sample_categorical that gives a split factor (its options: the
candidates of positive probability). Options are sorted, so neighbouring positions are close
tilings; a knob with a single option is left out. A point (a knob vector, one option index
per knob) maps to one integer (mixed radix, `knob2point`/`point2knob`), and `start` is the
record's own point.

`template(values)` is the record's trace with the decisions of a point; `candidate(values)`
replays it on the workload and runs the postprocessors. A new split factor can change the
extent of a loop that a later sample_perfect_tile tiles; that decision is then fitted to the
new extent (as MutateTileSize does, with a fixed seed), so every point is a valid program or
None (a replay or postprocessor rejects it).
"""

from __future__ import annotations

import functools
import math

from ..mutator.mutate_tile_size import fit_perfect_tile, split_factor_categoricals
from ..mutator.mutator import replay
from ..schedule import ScheduleError, Trace
from ..schedule.sampling import RandState, divisors
from ..search_strategy import candidate_from_schedule
from ..tir import IRModule

#: most options kept per knob (the reference's add_space limit)
LIMIT = 10000


def factorizations(extent: int, n: int, max_innermost: int) -> list:
    """Every n-tuple of positive integers whose product is `extent`, the last at most
    max_innermost (<= 0: no limit), in lexicographic order."""
    if n == 1:
        return [[extent]] if max_innermost <= 0 or extent <= max_innermost else []
    return [[d, *rest] for d in divisors(extent) for rest in factorizations(extent // d, n - 1, max_innermost)]


class Space:
    """data: the TuningRecord (or a Trace) to search around; workload: its IRModule or
    PrimFunc; target: the Target; postprocs: what each point's schedule goes through (those of
    the target's automatic space when None)."""

    def __init__(self, data, workload, target, postprocs=None):
        trace = data.trace if hasattr(data, "trace") else data
        self.trace = trace.simplified(remove_postproc=True)
        self.mod = IRModule.from_any(workload)
        self.target = target
        self.postprocs = default_postprocs(self.mod, target) if postprocs is None else list(postprocs)
        self.knobs: list = []  # (instruction, options)
        self.dims: list[int] = []
        self.start: list[int] = []
        self.create_space()

    def get_value(self, key: int, pos: int):
        """The decision of knob `key` at option index `pos`."""
        return self.knobs[key][1][pos]

    @staticmethod
    def add_space(space_list: list, element_list: list, limit: int = LIMIT) -> list[int]:
        """`space_list` with the elements of `element_list` it lacks appended, at most `limit`
        in all; the index of each element of element_list in it (-1 past the limit)."""
        index = {repr(e): i for i, e in enumerate(space_list)}
        out = []
        for e in element_list:
            key = repr(e)
            if key not in index and len(space_list) < limit:
                index[key] = len(space_list)
                space_list.append(e)
            out.append(index.get(key, -1))
        return out

    def knob2point(self, knob) -> int:
        """A knob vector as one integer (mixed radix over dims)."""
        point = 0
        for value, dim in zip(knob, self.dims):
            point = point * dim + int(value)
        return point

    def point2knob(self, point: int) -> list[int]:
        """The inverse of knob2point."""
        knob = []
        for dim in reversed(self.dims):
            point, value = divmod(point, dim)
            knob.append(value)
        return knob[::-1]

    def template(self, values=None, create=True):
        """The trace with the decisions of point `values` (None: the start); create: replay it
        into a MeasureCandidate (None when the point gives no valid program) rather than
        return the trace."""
        values = self.start if values is None else values
        decisions = dict(self.trace.decisions)
        for (inst, options), pos in zip(self.knobs, values):
            decisions[inst] = options[pos]
        trace = Trace(self.trace.insts, decisions)
        return self.candidate(trace) if create else trace

    def candidate(self, trace):
        """`trace` replayed on the workload (dependent tiles fitted) and postprocessed."""
        try:
            sch = replay(trace, self.mod, functools.partial(fit_perfect_tile, RandState(1)))
            return candidate_from_schedule(sch, self.postprocs)
        except ScheduleError:
            return None

    def create_space(self) -> None:
        """The knobs of the trace's tile decisions (see the module docstring)."""
        categoricals = set(split_factor_categoricals(self.trace))
        for inst in self.trace.insts:
            decision = self.trace.decisions.get(inst)
            if decision is None:
                continue
            if inst.kind.name == "SamplePerfectTile":
                current = [int(t) for t in decision]
                options: list = []
                self.add_space(options, factorizations(math.prod(current), len(current), int(inst.attrs[1])))
                options.sort()
                if current not in options:  # (a decision beyond the innermost limit: keep it)
                    options = sorted([*options[: LIMIT - 1], current])
            elif inst in categoricals:
                probs = inst.attrs[1]
                current = int(decision)
                options = sorted({i for i, p in enumerate(probs) if p > 0} | {current})
            else:
                continue
            if len(options) > 1:
                self.knobs.append((inst, options))
                self.dims.append(len(options))
                self.start.append(options.index(current))

    def __repr__(self):
        return f"Space({len(self.dims)} knobs, dims {self.dims})"


def default_postprocs(mod, target) -> list:
    """The postprocessors of the target's automatic design space."""
    from ..tune_context import TuneContext

    return TuneContext(mod, target=target, space_generator="post-order-apply").postprocs
