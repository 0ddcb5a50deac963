"""remeasure_top_k on real local Ray: tune_tir with the "ray" builder and runner kinds, then
the best records re-timed by fresh Ray pools (REMEASURE_CONFIG: ROUNDS x 3 readings each),
committed next to the originals, and ranked in their place."""

import pytest

import raytune_ms as ms
from raytune_ms.remeasure import REMEASURE_CONFIG, ROUNDS


@pytest.mark.slow  # about a minute: two sets of Ray pools start
def test_ray_tuning_remeasures_its_best(ray_local, tmp_path):
    wl = ms.workloads.get("GMM", "small")
    db = ms.tune_tir(wl.func, "llvm", str(tmp_path), 4, num_trials_per_iter=4, builder="ray", runner="ray",
                     strategy="replay-trace", cost_model="random", seed=5, remeasure_top_k=2)
    records = db.get_all_tuning_records()
    again = [r for r in records if r.is_remeasurement]
    originals = [r for r in records if not r.is_remeasurement]
    assert len(originals) == 4 and len(again) == 2
    assert all(r.is_valid() and len(r.run_secs) == ROUNDS * REMEASURE_CONFIG.repeat and r.node for r in again)
    retimed = {r.trace_text() for r in again}
    assert retimed <= {r.trace_text() for r in originals}
    top = db.get_top_k(db.commit_workload(wl.func), 4, target="llvm")
    assert [r.record_id for r in top if r.trace_text() in retimed] == [r.record_id for r in top if r.is_remeasurement]
    assert len([r for r in top if r.trace_text() in retimed]) == 2
