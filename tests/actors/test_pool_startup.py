"""Actor pools never wait forever for actors the cluster cannot place: when none of the
requested actors starts, one that reserves no CPU does the work; actors still pending after the
first started are dropped; when nothing at all can start, calls fail with a clear error."""

import pytest

import raytune_ms as ms
from actors import actor_pool
from raytune_ms.builder import BuilderInput
from raytune_ms.tir import IRModule


@pytest.fixture()
def quick_start(monkeypatch):
    """Short fallback and grace times; a start timeout long enough for an actor that can start
    to start however loaded the machine is (only the test where nothing can start shortens it)."""
    monkeypatch.setattr(actor_pool, "FALLBACK_AFTER_S", 1.0)
    monkeypatch.setattr(actor_pool, "GRACE_S", 2.0)
    monkeypatch.setattr(actor_pool, "START_TIMEOUT_S", 300.0)


@pytest.fixture(scope="module")
def gmm_mod(ray_local):
    return IRModule({"main": ms.workloads.get("GMM", "small").func})


def test_builders_that_cannot_fit_fall_back_to_one_reserving_no_cpu(quick_start, gmm_mod):
    from actors import RayBuilder

    builder = RayBuilder(resources={"CPU": 64})  # more than the session's 3 CPUs
    results = builder.build([BuilderInput(gmm_mod, "llvm") for _ in range(2)])
    assert all(r.error_msg is None for r in results), [r.error_msg for r in results]
    assert builder._pool.used_fallback and len(builder._pool) == 1
    builder.shutdown()


def test_an_explicit_size_that_cannot_fit_falls_back_after_a_wait(quick_start, gmm_mod):
    from actors import RayBuilder

    builder = RayBuilder(num_builders=2, resources={"CPU": 64})
    (result,) = builder.build([BuilderInput(gmm_mod, "llvm")])
    assert result.error_msg is None, result.error_msg
    pool = builder._pool.wait_started()
    assert pool.used_fallback and pool.dropped == 2 and len(pool) == 1
    builder.shutdown()


def test_actors_still_pending_after_the_first_started_are_dropped(quick_start, monkeypatch, gmm_mod):
    from actors import RayBuilder

    monkeypatch.setattr(actor_pool, "FALLBACK_AFTER_S", 300.0)  # however slowly workers start

    builder = RayBuilder(num_builders=5)  # the session has 3 CPUs
    results = builder.build([BuilderInput(gmm_mod, "llvm") for _ in range(3)])
    assert all(r.error_msg is None for r in results)
    pool = builder._pool.wait_started()
    assert 1 <= len(pool) <= 3 and pool.dropped == 5 - len(pool) and not pool.used_fallback
    builder.shutdown()


def test_the_runner_pool_falls_back_when_the_cpus_are_taken(quick_start, monkeypatch, gmm_mod):
    from actors import RayBuilder, RayRunner
    from raytune_ms.arg_info import ArgInfo
    from raytune_ms.runner import EvaluatorConfig, RunnerInput

    monkeypatch.setattr(actor_pool, "FALLBACK_AFTER_S", 60.0)
    hog = RayBuilder(num_builders=3)  # every CPU of the session
    hog._start().wait_started()
    assert len(hog._pool) == 3
    monkeypatch.setattr(actor_pool, "FALLBACK_AFTER_S", 1.0)
    try:
        runner = RayRunner(evaluator_config=EvaluatorConfig(number=1, min_repeat_ms=1))
        builder = RayBuilder()
        (built,) = builder.build([BuilderInput(gmm_mod, "llvm")])
        assert builder._pool.used_fallback
        args = ArgInfo.from_prim_func(gmm_mod["main"])
        (future,) = runner.run([RunnerInput(None, "cpu", args, artifact=built.artifact)])
        result = future.result()
        assert result.error_msg is None and runner._pool.used_fallback
        builder.shutdown()
        runner.shutdown()
    finally:
        hog.shutdown()


def test_nothing_can_start_so_calls_fail_instead_of_hanging(quick_start, monkeypatch, gmm_mod):
    from actors import RayBuilder

    monkeypatch.setattr(actor_pool, "START_TIMEOUT_S", 6.0)  # no actor asking for it can ever start

    builder = RayBuilder(resources={"CPU": 1, "no_such_resource": 1})
    (result,) = builder.build([BuilderInput(gmm_mod, "llvm")])
    assert result.error_msg.startswith("build lost: no Ray builder actor could start"), result.error_msg
    assert "no_such_resource" in result.error_msg
    builder.shutdown()
