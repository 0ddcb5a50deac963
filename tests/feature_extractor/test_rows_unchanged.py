"""Feature rows and postprocessed programs of many random candidates stay exactly what they
were before the speed work on PerStoreFeature and the CPU postprocessors (golden digests
computed by the code of main 3d4c17b for AVX-512, of main 3ffeaf7 for AVX2): a faster path must
give the same bytes, not close ones. The targets are spelled out: the host's ("llvm") would make
the design spaces, and so the digests, depend on the machine the tests run on."""

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

AVX512 = "llvm -num-cores=2 -vector-bytes=64"
AVX2 = "llvm -num-cores=2 -vector-bytes=32"
GOLDEN = {
    ("GMM-1024", AVX512): ("668ec40173e09102", "a04dcc1752a1edf8"),
    ("C2D", AVX512): ("862bae46c4f6187d", "12dd762558e2a637"),
    ("DEP", AVX512): ("30c05d3647c4745b", "508fe5d0fee613ae"),
    ("GMM-1024", AVX2): ("0af0f3a3871d3599", "a6138cb101adfb6c"),
    ("C2D", AVX2): ("6a8525dec2c68789", "dee76e7dc638d89a"),
    ("DEP", AVX2): ("fa900317d216366f", "3740814f49662a38"),
}


def digests(name: str, target: str, candidates: int) -> tuple:
    """(digest of the postprocessed programs, digest of their feature rows) of `candidates`
    random replays of `name`'s automatic design spaces for `target` (standard size, fixed
    seeds)."""
    ctx = TuneContext(workloads.get(name, "standard").func, target=target, space_generator="post-order-apply",
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


@pytest.mark.parametrize("name, target", sorted(GOLDEN))
def test_rows_and_programs_as_before(name, target):
    assert digests(name, target, 150) == GOLDEN[name, target]
