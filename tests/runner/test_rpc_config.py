"""RPCConfig: the reference's fields and defaults, read as a Ray cluster's address, resource and
timeout; bad values are rejected with the field's name."""

import pytest

from raytune_ms.runner import RPCConfig, Runner


def test_defaults_follow_the_reference():
    c = RPCConfig()
    assert (c.tracker_host, c.tracker_port, c.tracker_key, c.session_priority, c.session_timeout_sec) == \
           (None, None, None, 1, 10)
    assert c.address is None


def test_host_and_port_are_the_cluster_address():
    assert RPCConfig("127.0.0.2", "6379").address == "127.0.0.2:6379"
    assert RPCConfig(tracker_host="head", tracker_port=6380, tracker_key="gpu_a100").address == "head:6380"


@pytest.mark.parametrize("kwargs,field", [
    (dict(tracker_host="h"), "tracker_port"),
    (dict(tracker_host="h", tracker_port="x"), "tracker_port"),
    (dict(tracker_host="h", tracker_port=70000), "tracker_port"),
    (dict(tracker_key=""), "tracker_key"),
    (dict(session_timeout_sec=0), "session_timeout_sec"),
    (dict(session_priority="high"), "session_priority"),
])
def test_bad_fields_are_named(kwargs, field):
    with pytest.raises(ValueError, match=field):
        RPCConfig(**kwargs)


def test_rpc_is_a_runner_kind():
    assert "rpc" in Runner.kinds()
