"""The linear view every index analysis reads, and the entry function of a module."""

import pytest

from raytune_ms import tir
from raytune_ms.tir import Var
from raytune_ms.tir.affine import affine_form, linear


def test_linear_view_merges_structurally_equal_atoms():
    i, j = Var("i"), Var("j")
    lin = linear(tir.floordiv(i, 4) * 2 + j - tir.floordiv(i, 4) + 3)
    terms = {tir.script(a): c for _, a, c in lin.live()}
    assert terms == {"(i // 4)": 1, "j": 1} and lin.const == 3


def test_casts_are_opened_only_when_asked():
    i = Var("i", "int32")
    e = tir.cast("int64", i * 4 + 1)
    assert [a for _, a, _ in linear(e).live()] == [e]
    lin = linear(e, open_casts=True)
    assert [(a, c) for _, a, c in lin.live()] == [(i, 4)] and lin.const == 1


def test_affine_form_needs_variable_atoms():
    i, j = Var("i"), Var("j")
    assert affine_form(i * 3 - j * 3 + j * 3) == ({i: 3}, 0)
    assert affine_form(i * j) is None


def test_entry_func_is_the_only_or_the_main_function():
    a, b = (te_func(n) for n in ("a", "b"))
    assert tir.IRModule({"k": a}).entry_func() is a
    assert tir.IRModule({"main": a, "aux": b}).entry_func() is a
    assert tir.IRModule.from_any(a).entry_func() is a
    with pytest.raises(ValueError, match="no 'main'"):
        tir.IRModule({"x": a, "y": b}).entry_func()


def te_func(name):
    from raytune_ms import te

    A = te.placeholder((4,), name="A")
    B = te.compute((4,), lambda i: A[i] + 1.0, name=name)
    return te.create_prim_func([A, B])
