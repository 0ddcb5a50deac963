"""Droplet: coordinate descent over a Space's knobs from the tuning's best record, with a
statistical test deciding each move (Droplet Search, as the reference's post-optimization).

Each round measures the queue: the start point itself (re-measured under post-optimization's
runner settings, so it is compared like with like), the unit neighbours of the best point
(one knob one option up or down), and, while the batch has room, speculative points further
along each axis (2, 3, ... options away). A measured point replaces the best when its mean run
time is lower and a two-sample t-test of the two points' run times gives p <= pvalue (with one
run time on a side no test is possible, and a lower mean suffices). After a move the queue is
the new best's unvisited unit neighbours. A round that moves nowhere has measured every unit
neighbour of the best: the best is a local optimum at that significance, and the search stops
(the statistical stop); it also stops when the trial budget is used. No point is measured twice.
"""

from __future__ import annotations

import os

import numpy as np


class Droplet:
    """space: the Space to walk; pvalue: the significance a move needs; batch: the fewest
    points a round measures when speculation can fill it (default: the CPU count, at least 2)."""

    def __init__(self, space, pvalue: float = 0.05, batch: int | None = None):
        if not 0 < pvalue <= 1:
            raise ValueError(f"Droplet.pvalue must be in (0, 1], got {pvalue!r}")
        self.space = space
        self.pvalue = float(pvalue)
        self.batch = max(os.cpu_count() or 1, 2) if batch is None else int(batch)
        if self.batch < 1:
            raise ValueError(f"Droplet.batch must be >= 1, got {batch!r}")
        self.dims = list(space.dims)
        start = list(space.start)
        self.best_choice = [space.knob2point(start), start, None]  # point, knob, run times
        self.visited = {self.best_choice[0]}
        self.next = [(self.best_choice[0], start)]
        self.execution = 1  # the furthest distance the queue holds
        self.total_execution = max(self.dims, default=1)
        self.start_costs = None  # the start point's run times, once measured
        self.count = 0  # points measured
        self.moves = 0
        self.stop_reason = None
        self.next += self.next_pos(self.search_space())
        self.speculation()

    def search_space(self, factor: int = 1) -> list:
        """The moves `factor` options up and down along each knob."""
        out = []
        for i in range(len(self.dims)):
            for sign in (factor, -factor):
                move = [0] * len(self.dims)
                move[i] = sign
                out.append(move)
        return out

    def next_pos(self, new_positions) -> list:
        """The unvisited points the moves lead to from the best (moves off the grid dropped),
        as (point, knob); they count as visited from here on."""
        out = []
        for move in new_positions:
            knob = [x + d for x, d in zip(self.best_choice[1], move)]
            if any(not 0 <= v < dim for v, dim in zip(knob, self.dims)):
                continue
            point = self.space.knob2point(knob)
            if point not in self.visited:
                self.visited.add(point)
                out.append((point, knob))
        return out

    def speculation(self) -> None:
        """Fill the queue up to `batch` with points further along the axes."""
        while len(self.next) < self.batch and self.execution < self.total_execution:
            self.execution += 1
            self.next += self.next_pos(self.search_space(self.execution))

    def has_next(self) -> bool:
        return bool(self.next) and self.stop_reason is None

    def next_batch(self, limit: int) -> list:
        """The queued points to measure now, at most `limit`: (point, knob) pairs."""
        batch, self.next = self.next[:limit], self.next[limit:]
        self.count += len(batch)
        return batch

    def p_value(self, elem_1, elem_2) -> bool:
        """Whether the two samples differ at the search's significance (True when a side has a
        single value: no test is possible)."""
        if len(elem_1) <= 1 or len(elem_2) <= 1:
            return True
        from scipy.stats import ttest_ind

        p = ttest_ind(elem_1, elem_2).pvalue
        return bool(np.isfinite(p) and p <= self.pvalue)

    def update(self, batch, results) -> None:
        """Take the run times of `batch` (a list of seconds, or None for a failed point) and
        move the best, or stop (see the module docstring)."""
        best_pos = self.best_choice[0]
        moved = None
        for (point, _), secs in zip(batch, results):
            if point == best_pos and self.best_choice[2] is None:
                if not secs:
                    self.stop_reason = "the start point did not run again"
                    return
                self.best_choice[2] = self.start_costs = list(secs)
        for (point, knob), secs in zip(batch, results):
            if point == best_pos or not secs:
                continue
            incumbent = moved[2] if moved else self.best_choice[2]
            if np.mean(secs) < np.mean(incumbent) and self.p_value(self.best_choice[2], secs):
                moved = [point, knob, list(secs)]
        if moved is not None:
            self.best_choice = moved
            self.moves += 1
            self.execution = 1
            self.next = self.next_pos(self.search_space()) + self.next
            self.speculation()
        elif not self.next:
            self.stop_reason = (f"local optimum: no unit neighbour of the best is faster at p <= {self.pvalue:g} "
                                f"({self.count} points measured, {self.moves} moves)")

    def tune(self, measure, n_trial: int = 100) -> list:
        """Walk until the stop or `n_trial` points: measure(batch) -> run times per point.
        Returns the best point's run times."""
        while self.has_next() and self.count < n_trial:
            batch = self.next_batch(n_trial - self.count)
            self.update(batch, measure(batch))
        if self.stop_reason is None:
            self.stop_reason = f"the trial budget was used ({self.count} points, {self.moves} moves)"
        return self.best_choice[2]
