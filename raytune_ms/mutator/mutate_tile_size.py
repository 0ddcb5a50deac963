"""MutateTileSize: move a factor between two tiles of a sample_perfect_tile decision (the
product, the loop's extent, stays the same), or change a sample_categorical decision that
gives a split factor (how the CPU spaces pick vector-multiple tiles) or a cooperative fetch's
vector length (the GPU spaces), or a joint one that gives several (the CPU register tile's rows
and vectors).

A perfect-tile move, as the reference's: draw a position x whose tile is > 1, another position
y, and a divisor d > 1 of tiles[x]; then tiles[x] /= d and tiles[y] *= d. A move into the
innermost position must keep it within the instruction's max_innermost_factor (<= 0: no limit,
as for sample_perfect_tile). Draws that allow no move are redrawn (a bounded number of times).
A categorical move draws another candidate in proportion to its probability.

A move can change the extent of a loop that a later sample_perfect_tile tiles: the CPU
MultiLevelTiling samples a vector-multiple innermost factor by sample_categorical and tiles
the outer loop it splits off with sample_perfect_tile (and a tiled piece may be tiled again).
So, with the task's module known, the output is replayed and each perfect-tile decision whose
product no longer matches its loop is fitted to the new extent (prime factors taken out of, or
put into, random tiles, the innermost limit kept): the move stays a valid program near the
old one. That replay is also the output's validity check.
"""

from __future__ import annotations

import math

from ..schedule.sampling import divisors, prime_factors
from ..schedule_rule.multi_level_tiling_cuda import COOPERATIVE_FETCH_KEY
from ..tir import IntImm
from .mutate_thread_binding import thread_extent_samples
from .mutator import Mutator, has_other, replay, weighted_other

_MAX_DRAWS = 64


def _moves(tiles, limit):
    """Whether some move exists: (x, y, d) with tiles[x] > 1 and the innermost limit kept."""
    n = len(tiles)
    for x, t in enumerate(tiles):
        if t <= 1:
            continue
        for y in range(n):
            if y == x:
                continue
            if y != n - 1 or limit <= 0 or any(d * tiles[y] <= limit for d in divisors(t)[1:]):
                return True
    return False


def move_tile(tiles, limit, rng):
    """`tiles` with a factor moved between two positions (see the module docstring), or None."""
    n = len(tiles)
    if n < 2 or not _moves(tiles, limit):
        return None
    big = [i for i, t in enumerate(tiles) if t > 1]
    for _ in range(_MAX_DRAWS):
        x = big[rng.randint(len(big))]
        y = rng.randint(n - 1)
        y += y >= x
        allowed = [d for d in divisors(tiles[x])[1:]
                   if y != n - 1 or limit <= 0 or d * tiles[y] <= limit]
        if not allowed:
            continue
        d = allowed[rng.randint(len(allowed))]
        out = list(tiles)
        out[x] //= d
        out[y] *= d
        return out
    return None


def fit_tiles(tiles, extent, limit, rng) -> list:
    """`tiles` changed as little as prime factors allow so that their product is `extent`."""
    tiles = list(tiles)
    n = len(tiles)
    g = math.gcd(math.prod(tiles), extent)
    for p in prime_factors(math.prod(tiles) // g):
        holders = [i for i, t in enumerate(tiles) if t % p == 0]
        tiles[holders[rng.randint(len(holders))]] //= p
    for p in prime_factors(extent // g):
        spots = [i for i in range(n) if i < n - 1 or n == 1 or limit <= 0 or tiles[i] * p <= limit]
        tiles[spots[rng.randint(len(spots))]] *= p
    return tiles


def fit_perfect_tile(rng, sch, inst, inputs, decision):
    """A replay hook's decision for `inst` (see mutator.replay): a SamplePerfectTile decision
    whose product is not its loop's extent (a changed outer decision resized the loop) refitted
    with fit_tiles; any other decision as it is."""
    if inst.kind.name != "SamplePerfectTile" or decision is None:
        return decision
    extent = sch.get(inputs[0]).extent
    if isinstance(extent, IntImm) and math.prod(decision) != extent.value:
        return fit_tiles([int(t) for t in decision], extent.value, int(inst.attrs[1]), rng)
    return decision


def split_factor_categoricals(trace) -> list:
    """The SampleCategorical (and SampleJointCategorical) instructions of `trace` with a value
    that is a split factor or a cooperative fetch's vector length (GPU spaces,
    multi_level_tiling_cuda.py)."""
    factors = set()
    for inst in trace.insts:
        if inst.kind.name == "Split":
            factors.update(inst.inputs[1:])
        elif inst.kind.name == "Annotate" and inst.attrs[0] == COOPERATIVE_FETCH_KEY:
            factors.add(inst.inputs[1])
    return [inst for inst in trace.insts
            if inst.kind.name in ("SampleCategorical", "SampleJointCategorical")
            and any(o in factors for o in inst.outputs)]


class MutateTileSize(Mutator):
    """Mutates a tile-size decision (sample_perfect_tile, or a categorical split factor)."""

    _replays_output = True

    def _mutate(self, trace, rng):
        insts = trace.instructions(remove_postproc=True)
        kept = set(insts)
        candidates = []
        for inst in insts:
            decision = trace.decisions.get(inst)
            if inst.kind.name != "SamplePerfectTile" or decision is None:
                continue
            tiles = [int(t) for t in decision]
            if _moves(tiles, int(inst.attrs[1])):
                candidates.append(inst)
        threads = set(thread_extent_samples(insts))  # MutateThreadBinding's
        for inst in split_factor_categoricals(trace):
            if inst in threads:
                continue
            decision = trace.decisions.get(inst)
            if inst in kept and decision is not None and has_other(inst.attrs[1], decision):
                candidates.append(inst)
        if not candidates:
            return None
        inst = candidates[rng.randint(len(candidates))]
        decision = trace.decisions[inst]
        if inst.kind.name == "SamplePerfectTile":
            new = move_tile([int(t) for t in decision], int(inst.attrs[1]), rng)
        else:
            new = weighted_other(rng, inst.attrs[1], decision)
        if new is None:
            return None
        out = trace.with_decision(inst, new, remove_postproc=True)
        return out if self._mod is None else self._fit_dependent_tiles(out, rng)

    def _fit_dependent_tiles(self, trace, rng):
        """Replay `trace`, fitting perfect tiles to their loops' extents (this replay is also the
        check that the output replays)."""
        fitted = {}

        def fit(sch, inst, inputs, decision):
            new = fit_perfect_tile(rng, sch, inst, inputs, decision)
            if new is not decision:
                fitted[inst] = new
            return new

        self._replayed = replay(trace, self._mod, fit)
        trace.decisions.update(fitted)
        return trace
