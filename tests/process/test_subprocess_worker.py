"""The isolated child process: results come back, a segfault or a hang kills only the child,
exceptions carry the child's traceback, and the next call gets a fresh child."""

import ctypes
import os
import time

import pytest

from raytune_ms.process import RemoteError, SubprocessWorker, WorkerCrashed, WorkerTimeout


@pytest.fixture
def worker():
    w = SubprocessWorker()
    yield w
    w.close()


def test_call_runs_in_another_process(worker):
    assert worker.call(os.getpid) != os.getpid()
    assert worker.call(divmod, 7, 2) == (3, 1)


def test_segfault_is_reported_and_the_child_respawns(worker):
    worker.call(abs, 1)
    first = worker.generation
    with pytest.raises(WorkerCrashed, match="SIGSEGV"):
        worker.call(ctypes.string_at, 0)
    assert worker.call(abs, -3) == 3
    assert worker.generation == first + 1


def test_timeout_kills_the_child(worker):
    start = time.monotonic()
    with pytest.raises(WorkerTimeout, match="timed out after 0.3"):
        worker.call(time.sleep, 30, timeout=0.3)
    assert time.monotonic() - start < 10
    assert worker.call(abs, -1) == 1


def test_remote_exception_keeps_type_and_traceback(worker):
    with pytest.raises(RemoteError) as info:
        worker.call(int, "not a number")
    assert info.value.exc_type == "ValueError"
    assert "invalid literal" in str(info.value)
    assert "Traceback" in info.value.remote_traceback


def test_closures_travel_by_value(worker):
    offset = 40
    assert worker.call(lambda x: x + offset, 2) == 42


def test_kernel_output_cannot_corrupt_the_channel(worker):
    def noisy():
        os.write(1, b"garbage on fd 1\n")
        print("and on sys.stdout")
        return "clean"

    assert worker.call(noisy) == "clean"


def test_environment_reaches_the_child():
    w = SubprocessWorker(env={"OMP_NUM_THREADS": "3"})
    try:
        assert w.call(lambda: os.environ.get("OMP_NUM_THREADS")) == "3"
    finally:
        w.close()
