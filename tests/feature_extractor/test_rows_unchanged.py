"""Feature rows and postprocessed programs of many random candidates stay exactly what they
were before the speed work on PerStoreFeature and the CPU postprocessors (golden digests
computed by the code of main 3d4c17b): a faster path must give the same bytes, not close ones."""

import hashlib
import random

import numpy as np
import pytest

from raytune_ms import tir, workloads
from raytune_ms.feature_extractor import PerStoreFeature
from raytune_ms.schedule import Trace
from raytune_ms.schedule.replay_cache import ReplayCache
from raytune_ms.search_strategy.search_strategy import candidate_from_schedule
from raytune_ms.tune_context import TuneContext

GOLDEN = {
    "GMM-1024": ("668ec40173e09102", "a04dcc1752a1edf8"),
    "C2D": ("862bae46c4f6187d", "12dd762558e2a637"),
    "DEP": ("30c05d3647c4745b", "508fe5d0fee613ae"),
}


def digests(name: str, candidates: int) -> tuple:
    """(digest of the postprocessed programs, digest of their feature rows) of `candidates`
    random replays of `name`'s automatic design spaces (standard size, fixed seeds)."""
    ctx = TuneContext(workloads.get(name, "standard").func, target="llvm", space_generator="post-order-apply",
                      rand_state=3)
    spaces = [Trace(s.trace.simplified(remove_postproc=True).insts, {}) for s in ctx.generate_design_space()]
    cache = ReplayCache(ctx.mod)
    rng = random.Random(17)
    programs, rows = hashlib.sha256(), hashlib.sha256()
    for i in range(candidates):
        cand = candidate_from_schedule(cache.replay(spaces[i % len(spaces)], rng.getrandbits(40)), ctx.postprocs)
        if cand is None:
            programs.update(b"rejected")
            continue
        programs.update(tir.script(cand.sch.mod).encode())
        feats = PerStoreFeature().extract_func(cand.sch.mod)
        rows.update(str(feats.shape).encode())
        rows.update(np.ascontiguousarray(feats).tobytes())
    return programs.hexdigest()[:16], rows.hexdigest()[:16]


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_rows_and_programs_as_before(name):
    assert digests(name, 150) == GOLDEN[name]
