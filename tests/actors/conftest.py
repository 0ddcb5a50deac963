"""Ray for the actor tests: one local instance for the whole session (never another session's
cluster), with each test module and the planted-fault helpers shipped to workers by value."""

import pytest


@pytest.fixture(scope="session")
def ray_session():
    import ray

    if ray.is_initialized():
        ray.shutdown()
    ray.init(address="local", num_cpus=3, include_dashboard=False, log_to_driver=False,
             logging_level="ERROR")
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def ray_local(request, ray_session):
    from ray import cloudpickle

    from raytune_ms.testing import planted

    for module in (request.module, planted):
        cloudpickle.register_pickle_by_value(module)
    return ray_session
