"""RPCRunner on local Ray: the reference's signature, its fields mapped onto the Ray runner
(timeout, resources, runners), hooks of the RPC signature called with session None; what has
no counterpart on Ray is refused by name. The multi-node test with a custom resource as the
tracker key is tests/clusters/test_rpc_runner.py."""

import inspect

import numpy as np
import pytest

import raytune_ms as ms
from raytune_ms.arg_info import ArgInfo
from raytune_ms.builder import BuilderInput, LocalBuilder
from raytune_ms.runner import EvaluatorConfig, RPCConfig, Runner, RunnerInput
from raytune_ms.tir import IRModule

FAST = EvaluatorConfig(number=1, repeat=1, min_repeat_ms=1)


def test_signature_is_the_references():
    from actors.rpc_runner import RPCRunner

    assert list(inspect.signature(RPCRunner).parameters) == [
        "rpc_config", "evaluator_config", "cooldown_sec", "alloc_repeat", "f_create_session",
        "f_upload_module", "f_alloc_argument", "f_run_evaluator", "f_cleanup", "max_workers", "initializer"]


def test_mapping_onto_the_ray_runner():
    from actors.rpc_runner import RPCRunner

    r = Runner.create("rpc", RPCConfig(tracker_key="accel_x", session_timeout_sec=7), max_workers=2)
    assert isinstance(r, RPCRunner)
    assert r.options["timeout_sec"] == 7.0 and r.num_runners == 2
    assert r._resources("cpu") == {"CPU": 1, "accel_x": 1}
    assert r._resources("cuda") == {"GPU": 1, "accel_x": 1}
    assert Runner.create("rpc")._resources("cpu") == {"CPU": 1}


@pytest.mark.parametrize("name", ["f_create_session", "f_upload_module"])
def test_sessions_and_uploads_have_no_counterpart(name):
    with pytest.raises(ValueError, match=name):
        Runner.create("rpc", **{name: lambda *a: None})


def test_measures_on_ray_with_rpc_hooks(ray_local):
    gmm = ms.workloads.get("GMM", "small")
    builder = LocalBuilder(max_workers=1)
    (built,) = builder.build([BuilderInput(IRModule({"main": gmm.func}), "llvm")])
    builder.shutdown()

    def run_evaluator(session, rt_mod, device, evaluator_config, repeated_args):
        assert session is None
        from raytune_ms.runner.hooks import default_run_evaluator

        return [s for s in default_run_evaluator(rt_mod, device, evaluator_config, repeated_args)] + [1.0]

    def cleanup(session, remote_path):
        assert session is None and remote_path is None

    runner = Runner.create("rpc", RPCConfig(session_timeout_sec=30), FAST, alloc_repeat=2,
                           f_run_evaluator=run_evaluator, f_cleanup=cleanup, max_workers=1)
    try:
        inp = RunnerInput(None, "cpu", ArgInfo.from_prim_func(gmm.func), artifact=built.artifact,
                          baseline=built.artifact)
        results = [f.result() for f in runner.run([inp, inp])]
    finally:
        runner.shutdown()
    for res in results:
        assert res.error_msg is None, res.error_msg
        assert len(res.run_secs) == 3 and res.run_secs[-1] == 1.0 and np.all(np.array(res.run_secs) > 0)


def test_a_key_no_node_has_is_a_clear_error(ray_local):
    runner = Runner.create("rpc", RPCConfig(tracker_key="no_such_board"))
    gmm = ms.workloads.get("GMM", "small")
    inp = RunnerInput(None, "cpu", ArgInfo.from_prim_func(gmm.func), artifact=b"x")
    with pytest.raises(RuntimeError, match="no_such_board"):
        runner.run([inp])
