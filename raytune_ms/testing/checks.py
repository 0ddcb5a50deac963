"""Checks that a transformation kept a program's meaning (on the reference interpreter, with
random inputs), and that a failed schedule primitive left the schedule unchanged."""

from __future__ import annotations

import numpy as np

from .. import tir
from ..schedule import ScheduleError
from .interpreter import interpret


def random_inputs(func, seed=0):
    """One random array per parameter: floats in [-1, 1], integers in [-4, 4]."""
    rng = np.random.default_rng(seed)
    out = []
    for p in func.params:
        if p.dtype.startswith("float"):
            out.append(rng.uniform(-1, 1, p.shape).astype(p.dtype))
        else:
            out.append(rng.integers(-4, 5, p.shape).astype(p.dtype))
    return out


def assert_same_result(original, transformed, n_outputs=1, seed=0, rtol=1e-4, atol=1e-4):
    """Both functions give the same outputs (the last `n_outputs` params) on random inputs."""
    arrays = random_inputs(original, seed)
    a = interpret(original, arrays)
    b = interpret(transformed, arrays)
    for x, y in zip(a[-n_outputs:], b[-n_outputs:]):
        assert not np.isnan(y).any(), "transformed function left NaNs (read of unwritten data)"
        np.testing.assert_allclose(y, x, rtol=rtol, atol=atol)


def assert_same_semantics(f1, f2, seed=0):
    """Every param array ends up equal (to float64 rounding) after running either function."""
    assert_same_result(f1, f2, n_outputs=len(f1.params), seed=seed, rtol=1e-9, atol=1e-9)


def snapshot(sch):
    """What must not change when a primitive fails: the module's hash and text, the trace length."""
    return tir.structural_hash(sch.mod), len(sch.trace), tir.script(sch.mod)


def assert_error_leaves_unchanged(sch, fn, *words):
    """`fn()` raises ScheduleError mentioning every word; the schedule did not change."""
    before = snapshot(sch)
    try:
        fn()
    except ScheduleError as e:
        msg = str(e)
        for w in words:
            assert w in msg, f"{w!r} not in error message {msg!r}"
    else:
        raise AssertionError("expected a ScheduleError")
    assert snapshot(sch) == before
