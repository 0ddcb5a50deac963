"""Random sampling behind the sample_* primitives, with a small portable PRNG.

The generator is a 64-bit linear congruential generator whose state is a Python int, so a seed
gives the same samples on every machine and Python version, copying a schedule copies its
stream, and `fork_seed` derives an independent seed for a child (seeds are scrambled with
SplitMix64 so nearby seeds give unrelated streams). Each sampler returns its decision: the value
a trace records so that replaying it reproduces the sample exactly.
"""

from __future__ import annotations

import functools
import os

from .error import ScheduleError

_MASK = (1 << 64) - 1


def _splitmix64(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


class RandState:
    """A seeded stream of random numbers (LCG, multiplier from Knuth's MMIX)."""

    __slots__ = ("state",)

    def __init__(self, seed=None):
        self.seed(seed)

    def seed(self, seed=None) -> None:
        if seed is None or seed == -1:
            seed = int.from_bytes(os.urandom(8), "little")
        self.state = _splitmix64(int(seed) & _MASK)

    def next(self) -> int:
        """31 random bits."""
        self.state = (self.state * 6364136223846793005 + 1442695040888963407) & _MASK
        return self.state >> 33

    def uniform(self) -> float:
        return self.next() / float(1 << 31)

    def randint(self, n: int) -> int:
        """Uniform in [0, n)."""
        return (self.next() * n) >> 31

    def fork_seed(self) -> int:
        return (self.next() << 31 | self.next()) & ((1 << 62) - 1)

    def copy(self) -> RandState:
        out = RandState.__new__(RandState)
        out.state = self.state
        return out


def sample_categorical(rng: RandState, candidates, probs, decision=None) -> int:
    """Index of the chosen candidate (the decision)."""
    if len(candidates) != len(probs) or not candidates:
        raise ScheduleError(
            f"sample_categorical: {len(candidates)} candidates but {len(probs)} probabilities"
        )
    if any(p < 0 for p in probs) or sum(probs) <= 0:
        raise ScheduleError(
            f"sample_categorical: probabilities must be >= 0 with a positive sum, got {probs}")
    if decision is not None:
        if not isinstance(decision, int) or not 0 <= decision < len(candidates):
            raise ScheduleError(
                f"sample_categorical: decision {decision!r} is not an index into "
                f"{len(candidates)} candidates"
            )
        return decision
    r = rng.uniform() * sum(probs)
    acc = 0.0
    for i, p in enumerate(probs):
        acc += p
        if r < acc:
            return i
    return max(i for i, p in enumerate(probs) if p > 0)


@functools.lru_cache(maxsize=4096)
def divisors(n: int) -> tuple:
    small = [d for d in range(1, int(n ** 0.5) + 1) if n % d == 0]
    return tuple(sorted(set(small + [n // d for d in small])))


@functools.lru_cache(maxsize=4096)
def prime_factors(n: int) -> tuple:
    out, p = [], 2
    while p * p <= n:
        while n % p == 0:
            out.append(p)
            n //= p
        p += 1
    if n > 1:
        out.append(n)
    return tuple(out)


def sample_perfect_tile(rng: RandState, extent: int, n: int, max_innermost_factor: int = 16,
                        decision=None, loop_name: str = "?") -> list:
    """n factors whose product is exactly `extent`, the innermost at most
    `max_innermost_factor` (<= 0: unbounded). Innermost is uniform over the allowed divisors;
    the rest is a uniform placement of the remaining prime factors."""
    if n < 1:
        raise ScheduleError(f"sample_perfect_tile on loop {loop_name!r}: n must be >= 1, got {n}")
    if decision is not None:
        decision = [int(d) for d in decision]
        prod = 1
        for d in decision:
            prod *= d
        if len(decision) != n or prod != extent or min(decision) < 1:
            raise ScheduleError(
                f"sample_perfect_tile on loop {loop_name!r}: decision {decision} is not {n} "
                f"positive factors of the extent {extent}"
            )
        return decision
    if n == 1:
        return [extent]
    limit = max_innermost_factor if max_innermost_factor > 0 else extent
    allowed = [d for d in divisors(extent) if d <= limit]
    inner = allowed[rng.randint(len(allowed))]
    out = [1] * (n - 1)
    for p in prime_factors(extent // inner):
        out[rng.randint(n - 1)] *= p
    return out + [inner]


def sample_compute_location(rng: RandState, num_loops: int, decision=None,
                            block_name: str = "?") -> int:
    """-1 (root) or an index into the candidate loops (-2, inline, is accepted as a decision)."""
    if decision is not None:
        if not isinstance(decision, int) or not -2 <= decision < num_loops:
            raise ScheduleError(
                f"sample_compute_location of block {block_name!r}: decision {decision!r} is not "
                f"-2 (inline), -1 (root) or an index into {num_loops} candidate loops"
            )
        return decision
    return rng.randint(num_loops + 1) - 1
