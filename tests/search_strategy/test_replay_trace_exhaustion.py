"""ReplayTrace stops early, and says why, when its space holds fewer distinct programs than the
trials asked for: programs are deduplicated by structural hash, not only by trace."""

import raytune_ms as ms
from raytune_ms import tir
from raytune_ms.database import MemoryDatabase
from raytune_ms.search_strategy import ReplayFunc, ReplayTrace
from raytune_ms.spaces import matmul_space
from raytune_ms.tune_context import TuneContext


def _drain(ctx):
    out = []
    while (batch := ctx.generate_measure_candidates()) is not None:
        out.extend(batch)
    return out


def three_traces_two_programs(sch):
    """Decisions 0 and 1 both split by 4: three traces, two programs."""
    loop = sch.get_loops(sch.get_block("y"))[1]
    sch.split(loop, [None, sch.sample_categorical([4, 4, 8], [1.0, 1.0, 1.0])])


def test_a_tiny_space_stops_with_a_reason():
    wl = ms.workloads.get("GEMV", "small")
    strategy = ReplayTrace(max_fail_count=30)
    ctx = TuneContext(wl.func, target="llvm", space_generator=three_traces_two_programs,
                      search_strategy=strategy, rand_state=3)
    ctx.pre_tuning(max_trials=50, num_trials_per_iter=8, database=MemoryDatabase())
    assert strategy.exhausted_reason is None
    cands = _drain(ctx)
    assert len(cands) == 2 and len({tir.structural_hash(c.sch.mod) for c in cands}) == 2
    state = strategy._run
    assert state.num_duplicates <= 3 * 30  # bounded: no slot-by-slot retries up to 50 x 30
    reason = strategy.exhausted_reason
    assert "exhausted" in reason and "30 consecutive draws" in reason and "2 distinct programs" in reason
    assert "stopping at 2 of 50 trials" in reason
    assert ctx.generate_measure_candidates() is None
    assert strategy.clone().exhausted_reason is None
    ctx.pre_tuning(max_trials=50, num_trials_per_iter=8, database=MemoryDatabase())
    assert strategy.exhausted_reason is None  # a new run starts afresh


def test_the_handwritten_matmul_space_ends_when_its_programs_are_drawn():
    wl = ms.workloads.get("GMM", "small")
    for strategy in (ReplayTrace(max_fail_count=40), ReplayFunc(max_fail_count=40)):
        ctx = TuneContext(wl.func, target="llvm", space_generator=matmul_space, search_strategy=strategy,
                          rand_state=1)
        ctx.pre_tuning(max_trials=200, num_trials_per_iter=64, database=MemoryDatabase())
        cands = _drain(ctx)
        hashes = {tir.structural_hash(c.sch.mod) for c in cands}
        assert len(hashes) == len(cands) < 200
        assert f"{len(cands)} distinct programs" in strategy.exhausted_reason


def test_a_large_space_is_not_cut_short():
    wl = ms.workloads.get("GMM", "small")

    def tiles(sch):
        for loop in sch.get_loops(sch.get_block("C"))[1:3]:
            sch.split(loop, sch.sample_perfect_tile(loop, 3, 16))

    strategy = ReplayTrace(max_fail_count=50)
    ctx = TuneContext(wl.func, target="llvm", space_generator=tiles, search_strategy=strategy, rand_state=2)
    ctx.pre_tuning(max_trials=40, num_trials_per_iter=16, database=MemoryDatabase())
    assert len(_drain(ctx)) == 40 and strategy.exhausted_reason is None
